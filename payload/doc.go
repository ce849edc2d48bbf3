// Package payload detects injection payloads in HTTP requests: SQL
// injection, XSS, path traversal, remote file inclusion, OS command and
// code injection, SSRF, Log4Shell, template injection, NoSQL operator
// injection, XXE, CR/LF header injection, LDAP filter injection and basic
// prompt-injection phrases.
//
// A Detector inspects the path, query names and values, selected headers,
// cookies, and form, multipart, JSON and XML bodies of an abuse.Request.
// Each value is matched raw and after bounded decoding (see
// payload/internal/decode) against one Aho–Corasick automaton holding every
// class's signals, followed by libinjection and a few structural checks
// that run only when the automaton or the value's characters call for
// them. Independent signals combine into one confidence per class
// (1 − Π(1 − wᵢ)), and the request gets one Verdict naming the strongest
// class. Any package may import it; the root package registers it with
// g.Use.
//
// scan.go holds the per-request state and the walk of one value through
// the checks; each attack family's structural checks have a file of their
// own (sql.go, shell.go, code.go, url.go, template.go, jndi.go, ldap.go,
// crlf.go, nosql.go, xxe.go, traversal.go, upload.go, js.go), and text.go
// the checks for text a person wrote.
//
// Values are judged by where they go. Config.Exclusions stop some classes
// being reported for named fields of a route (field paths such as
// "comments[].text", fields.go), and the message text of a recognised
// chat request body is left to the AI detectors (Config.ChatContent,
// chat.go): an AI chat's users paste SQL and shell into their questions.
// The JSON walker tracks field paths only for requests that have such
// rules.
package payload
