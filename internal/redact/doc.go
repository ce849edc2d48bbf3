// Package redact keeps secrets out of everything Warden writes: messages,
// the decision log, the event store, alerts, reports and what is sent to
// an LLM judge. It knows secrets two ways: by the name of the field that
// holds them (Names: password, token, api_key, cookie, …) and by their
// shape wherever they are (Shapes: JWTs, PEM private keys, card numbers
// passing Luhn, bearer and basic credentials, well-known API key
// prefixes). Either way the secret becomes Mark.
//
// Any package of this module may import it; it imports nothing of ours.
package redact
