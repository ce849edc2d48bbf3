package redact

import "strings"

// Kind says what sort of secret a Span is.
type Kind uint8

// The kinds of secret Find reports.
const (
	KindAPIKey     Kind = iota + 1 // a provider key by its prefix: sk-, sk-ant-, AKIA, ghp_, xox?-, sk_live_, AIza, …
	KindJWT                        // a JSON Web Token
	KindPrivateKey                 // a PEM private key block
	KindAuth                       // a bearer or basic credential
	KindCard                       // a payment card number passing Luhn
	KindField                      // the value of a secret-named key (password=…, "token": "…")
)

var kindNames = [...]string{"", "api_key", "jwt", "private_key", "auth", "card", "secret_field"}

// String returns the kind's name as used in messages and config.
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return "unknown"
}

// Span is one secret found in a text: s[Start:End] is the secret.
type Span struct {
	Start, End int
	Kind       Kind
}

// Find appends to dst the secrets of s, the ones Text replaces: every
// shape, and the value of every secret-named key. Spans may overlap (a
// JWT as the value of "token": …). It does not allocate when s holds no
// secret and dst has room.
func (n Names) Find(dst []Span, s string) []Span {
	for start, end := range n.secretValues(s) {
		dst = append(dst, Span{Start: start, End: end, Kind: KindField})
	}
	if !maybeShape(s) {
		return dst
	}
	for _, m := range shapeRE.FindAllStringIndex(s, -1) {
		if isDigit(s[m[0]]) && !luhn(s[m[0]:m[1]]) {
			continue
		}
		dst = append(dst, Span{Start: m[0], End: m[1], Kind: shapeKind(s[m[0]:m[1]])})
	}
	return dst
}

// shapeKind names the alternative of shapeRE that matched m.
func shapeKind(m string) Kind {
	switch {
	case isDigit(m[0]):
		return KindCard
	case strings.HasPrefix(m, "eyJ"):
		return KindJWT
	case strings.HasPrefix(m, "-----"):
		return KindPrivateKey
	case hasFoldAt(m, 0, "bearer") || strings.HasPrefix(m, "Basic"):
		return KindAuth
	}
	return KindAPIKey
}

// maxPendingName bounds how far back Pending looks for a secret-named key
// whose value is still coming: key, separators and a value that long.
const maxPendingName = 256

// Pending returns where the tail of s that may be the start of a secret
// not yet complete begins, or len(s) when there is none: a token that
// starts like a key, a JWT or a credential (sk-…, eyJ…, Bearer …), a PEM
// private key whose END line has not come, or the value of a secret-named
// key running to the end of s. A reader of a text that arrives in pieces
// (a streamed LLM answer) holds back s[Pending(s):] until more comes, so
// that a secret split across pieces is found whole before any of it is
// passed on. Cards are not held: they are personal data, not secrets, to
// a reader that holds (see Find for cards).
func (n Names) Pending(s string) int {
	p := len(s)
	if b := strings.LastIndex(s, "-----BEGIN"); b >= 0 && !strings.Contains(s[b:], "-----END") {
		p = b
	}
	// The trailing token: letters, digits and the bytes keys, JWTs and
	// base64 are made of.
	t := len(s)
	for t > 0 && isTokenChar(s[t-1]) {
		t--
	}
	for k := t; k < len(s); k++ {
		// A key may follow = or / inside the token (AWS=AKIA…).
		if (k == t || !isAlnum(s[k-1])) && startsSecret(s[k:]) {
			p = min(p, k)
			break
		}
	}
	if t < len(s) {
		if auth := authBefore(s, t); auth >= 0 {
			p = min(p, auth)
		}
	}
	lo := max(len(s)-maxPendingName, 0)
	for i := lo; i < len(s); {
		if !isKeyChar(s[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && isKeyChar(s[j]) {
			j++
		}
		start, end, ok := n.secretValue(s, i, j)
		if ok && end == len(s) {
			return min(p, start)
		}
		i = j
	}
	return p
}

func isTokenChar(c byte) bool {
	return isAlnum(c) || c == '_' || c == '-' || c == '.' || c == '+' || c == '/' || c == '=' || c == '~'
}

// startsSecret reports whether tok, a run of token bytes, starts like
// one of the key shapes or a JWT.
func startsSecret(tok string) bool {
	if !MayStartSecret(tok) {
		return false
	}
	for _, p := range secretPrefixes {
		if strings.HasPrefix(tok, p) {
			return true
		}
	}
	// gh?_ (GitHub) and xox?- (Slack), ? one letter.
	return len(tok) >= 4 && strings.HasPrefix(tok, "gh") && tok[3] == '_' ||
		len(tok) >= 5 && strings.HasPrefix(tok, "xox") && tok[4] == '-'
}

// secretPrefixes are the starts of the key shapes and a JWT, besides
// gh?_ and xox?-.
var secretPrefixes = [...]string{"sk-", "sk_", "rk-", "rk_", "AKIA", "ASIA", "AIza", "github_pat_", "glpat-", "eyJ"}

// MayStartSecret reports whether tok, three token bytes or more, may
// start like a key or a JWT, by its first two bytes: most words are
// ruled out by them. Pending holds back a token for its shape only from
// where this is true of the token's rest (at its start, or after a byte
// that is not a letter or digit), so a reader that checks every piece of
// a stream calls Pending only then.
func MayStartSecret(tok string) bool {
	if len(tok) < 3 {
		return false
	}
	i := secretFirst[tok[0]]
	return i > 0 && secretSecond[tok[1]]&(1<<i) != 0
}

// secretFirst numbers the first bytes of the shapes startsSecret knows
// from 1 (0: none); secretSecond[c] has bit n set when a shape starts
// with first byte n, then c. Neither is ever written.
var secretFirst, secretSecond = func() (t [256]uint8, u [256]uint16) {
	n := uint8(0)
	pair := func(a, b byte) {
		if t[a] == 0 {
			n++
			t[a] = n
		}
		u[b] |= 1 << t[a]
	}
	for _, p := range secretPrefixes {
		pair(p[0], p[1])
	}
	pair('g', 'h') // gh?_
	pair('x', 'o') // xox?-
	return t, u
}()

// authBefore returns where "Bearer " or "Basic " starts when it comes
// right before s[t:], else -1.
func authBefore(s string, t int) int {
	k := t
	for k > 0 && (s[k-1] == ' ' || s[k-1] == '\t') {
		k--
	}
	if k == t {
		return -1
	}
	if k >= 6 && hasFoldAt(s, k-6, "bearer") {
		return k - 6
	}
	if k >= 5 && hasAt(s, k-5, "Basic") {
		return k - 5
	}
	return -1
}
