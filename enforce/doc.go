// Package enforce turns violations into scores and bans, as LibreChat's
// automated moderation does: each violation type has a score, each client
// a total, and when the total reaches or crosses a multiple of the ban
// interval — floor((prev+score)/BAN_INTERVAL) > floor(prev/BAN_INTERVAL) —
// the client's user and IP are banned for the ban duration.
//
// The pipeline calls (*Enforcer).RecordFinding once per violation type
// found in a request; the admin API serves
// (*Enforcer).Violations for GET /api/v1/violations?target=. Scores live
// in a Tally — bounded memory here, Redis in store/redis — and bans in a
// ban.Store.
//
// Where Warden differs from LibreChat, on purpose:
//
//   - Anonymous requests are scored and banned by IP. LibreChat scores
//     only logged-in users, so an anonymous login flood never bans anyone.
//   - The ban rule applies to the client's total over all violation types
//     (LibreChat keeps one count per type), so mixed abuse adds up.
//   - Scores expire ScoreTTL after the client's last violation.
//   - Repeat offenders may get longer bans (Config.Escalation).
//   - A new ban never shortens one in force, so a clock that jumps
//     backwards cannot unban.
//   - An IPv6 client is scored and banned as its network
//     (Config.IPv6Prefix, a /64 by default), so moving to another address
//     of its own network escapes neither; IPv4 clients are one address.
//   - A client already banned is not scored again: requests in flight when
//     the ban was placed neither add to its score nor count further strikes,
//     so one burst is one ban of the first ban's length.
//   - BAN_DURATION accepts LibreChat's milliseconds with arithmetic
//     ("1000 * 60 * 60 * 2", parsed by a bounded integer parser, never
//     evaluated as code) or a Go duration ("2h").
package enforce
