// Package assess builds the threat model of a Warden deployment, as
// `warden assess` prints it: an inventory of the controls the effective
// configuration turns on, the threats of OWASP Top 10 for LLM
// Applications 2025, OWASP API Security Top 10 2023 and MITRE ATLAS
// (catalogue.yaml, one entry per edition) with the controls that cover
// each, a risk score from 0 to 100, recommendations as config snippets,
// and opt-in live probes of a running instance.
//
// It reads a config.Config and, for probes, talks HTTP to a URL the user
// names; it opens no store. It is a server-layer package: the root package
// must not import it.
package assess
