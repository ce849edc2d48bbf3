// Package chat parses chat request bodies (OpenAI chat completions and
// responses, Anthropic messages, LibreChat ask bodies, legacy completions
// and configured JSON paths) into the user-controlled text they carry,
// each piece tagged with its Source. Parsing is bounded by Limits whatever
// the body holds, and a Cache lets the detectors of one request share a
// parse. The aiguard detectors import it; it imports only abuse.
package chat
