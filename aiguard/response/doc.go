// Package response is the response guard: it reads an LLM app's answer
// as it flows back to the client (server-sent events in the OpenAI and
// Anthropic shapes, newline-delimited JSON, or one JSON document) and
// finds what the answer must not carry (OWASP LLM02, LLM05, LLM07):
// secrets, personal data, the system prompt (a canary token or text like
// the configured prompt) and HTML or script for a UI that renders
// markdown. Each finding is logged, redacted in flight or ends the answer
// with an error event, by type.
//
// A stream is never buffered whole: text is held back only while its tail
// may be the start of a secret or the canary (redact.Names.Pending), and a
// bounded look-behind lets a token split across events be found.
//
// Imported by the root package, which registers the Guard like any other
// detector; it imports abuse and internal packages only.
package response
