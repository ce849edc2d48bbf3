// Package usage rolls up the model tokens AI requests cost, per hour,
// route and model, and writes the rollup to a store in batches, off the
// request path. The daily report reads it for tokens and estimated cost
// on AI routes. store/sqlite and store/postgres implement Store; package
// server wires it.
package usage
