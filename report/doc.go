// Package report builds Warden's daily report from the event store
// (SQLite in the data dir, or PostgreSQL): headline numbers against the
// day before, actions per hour, top clients, users, routes, detectors,
// violation types and attack classes, bans, alerts and health, with a
// summary that is either written by a model and checked against the
// computed numbers, or made from a template. It renders JSON, HTML (inline
// SVG, no script), Markdown and plain text, keeps reports in the data dir
// and schedules one a day for `warden serve`.
//
// Memory stays bounded whatever the day holds: every figure is aggregated
// by the database (GROUP BY, COUNT DISTINCT, ORDER BY … LIMIT top), so the
// process only ever holds the top lists.
//
// It is part of the server: cmd/warden and package server import it; the
// root package (the library) must not.
package report
