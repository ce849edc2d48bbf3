package payload

import (
	"bytes"
)

// Inert markup: rich text as CMS, shop and mail APIs take it
// (Shopify's body_html, a post's content): paragraphs, styled spans,
// tables, images, links, a video embed. It runs no script where it
// lands, so it is not XSS however much of it there is; libinjection
// flags any style attribute, and the tag rules flag <iframe> and <svg>.
//
// inertMarkup is a sanitizer's allowlist read strictly: every tag is an
// element and attribute it knows, every URL is http(s), relative, mail
// or an image, every style is plain declarations, and anything it does
// not understand (a comment, a stray quote, an entity in a tag name, a
// '<' inside an attribute) makes the value not inert, so the usual XSS
// checks judge it. It allows what does nothing, not what it has seen
// in attacks.

// maxMarkupTags bounds the tags inertMarkup reads; a value with more is
// judged by the usual checks.
const maxMarkupTags = 256

// inertElements are elements that run nothing by themselves: text
// structure, media from a URL, simple SVG shapes. Not script, style,
// link, meta, base, object, embed, form controls, frames other than
// iframe, template, noscript, math or the raw-text elements, whose
// parsing differs from what a reader sees.
var inertElements = [...]string{
	"a", "abbr", "address", "article", "aside", "audio", "b", "bdi", "bdo", "big",
	"blockquote", "br", "caption", "center", "circle", "cite", "code", "col",
	"colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "ellipse", "em",
	"figcaption", "figure", "font", "footer", "g", "h1", "h2", "h3", "h4", "h5",
	"h6", "header", "hr", "i", "iframe", "img", "ins", "kbd", "li", "line",
	"main", "mark", "nav", "ol", "p", "path", "picture", "polygon", "polyline",
	"pre", "q", "rect", "rp", "rt", "ruby", "s", "samp", "section", "small",
	"source", "span", "strike", "strong", "sub", "summary", "sup", "svg", "table",
	"tbody", "td", "tfoot", "th", "thead", "time", "tr", "track", "tt", "u", "ul",
	"var", "video", "wbr",
}

// inertAttrs are attributes that run nothing; URL attributes and style
// are checked by value (inertAttr). data-* and aria-* are allowed too.
var inertAttrs = [...]string{
	"abbr", "align", "allow", "allowfullscreen", "alt", "bgcolor", "border",
	"cellpadding", "cellspacing", "class", "clip-rule", "color", "colspan",
	"controls", "cx", "cy", "d", "datetime", "dir", "face", "fill", "fill-rule",
	"frameborder", "headers", "height", "id", "lang", "loading", "loop", "media",
	"muted", "open", "opacity", "playsinline", "points", "preload", "r",
	"referrerpolicy", "rel", "reversed", "role", "rowspan", "rx", "ry", "scope",
	"size", "sizes", "start", "stroke", "stroke-linecap", "stroke-linejoin",
	"stroke-width", "tabindex", "target", "title", "transform", "type", "valign",
	"version", "viewbox", "width", "x", "x1", "x2", "xmlns", "y", "y1", "y2",
}

// urlAttrs are the attributes of inertElements that take a URL.
var inertURLAttrs = [...]string{"href", "src", "poster", "cite", "srcset"}

// inertMarkup reports whether v holds tags and every one of them is
// inert (see above).
func inertMarkup(v []byte) bool {
	tags := 0
	for i := 0; i < len(v); i++ {
		if v[i] != '<' {
			continue
		}
		if i+1 >= len(v) {
			return false
		}
		c := v[i+1]
		if c != '/' && !isLetter(c) {
			// "1 < 2", "<3": text. "<!--", "<?", "<!DOCTYPE": not read.
			if c == '!' || c == '?' {
				return false
			}
			continue
		}
		tags++
		if tags > maxMarkupTags {
			return false
		}
		e, ok := inertTag(v, i)
		if !ok {
			return false
		}
		i = e
	}
	return tags > 0 && !sinkCall(v)
}

// markupSinks are calls that show script ran or reach for the page; a
// value that has tags and writes one of them ("<iframe>alert(1)") is a
// probe for where the value lands, so the usual checks judge it.
var markupSinks = [...]string{"alert(", "prompt(", "confirm(", "eval(", "fetch(", "atob(", "settimeout(", "setinterval(", "import(", "document.write("}

// sinkCall reports whether v calls one of markupSinks.
func sinkCall(v []byte) bool {
	if indexByte(v, '(') < 0 {
		return false
	}
	for _, k := range markupSinks {
		if i := indexFold(v, k); i >= 0 && (i == 0 || !isWordChar(v[i-1])) {
			return true
		}
	}
	return false
}

// inertTag reads the tag at v[i] ('<' then a letter or '/') and returns
// the index of its '>' and whether it is inert.
func inertTag(v []byte, i int) (int, bool) {
	j := i + 1
	closing := v[j] == '/'
	if closing {
		j++
	}
	st := j
	for j < len(v) && (isLetter(v[j]) || j > st && v[j] >= '0' && v[j] <= '9') {
		j++
	}
	if j == st || !inList(v[st:j], inertElements[:]) {
		return 0, false
	}
	name := v[st:j]
	for {
		for j < len(v) && isSpace(v[j]) {
			j++
		}
		if j >= len(v) {
			return 0, false
		}
		switch v[j] {
		case '>':
			return j, true
		case '/':
			if j+1 < len(v) && v[j+1] == '>' {
				return j + 1, true
			}
			return 0, false
		}
		if closing {
			return 0, false
		}
		an := j
		for j < len(v) && (isLetter(v[j]) || j > an && (v[j] >= '0' && v[j] <= '9' || v[j] == '-')) {
			j++
		}
		if j == an {
			return 0, false
		}
		attr := v[an:j]
		var val []byte
		if j < len(v) && v[j] == '=' {
			j++
			if j >= len(v) {
				return 0, false
			}
			if q := v[j]; q == '"' || q == '\'' {
				k := j + 1
				for k < len(v) && v[k] != q {
					k++
				}
				if k >= len(v) {
					return 0, false
				}
				val = v[j+1 : k]
				j = k + 1
				for _, c := range val {
					if c == '<' || c == '>' || c == '`' {
						// Markup inside a value: parsers disagree on
						// it (mutation XSS).
						return 0, false
					}
				}
			} else {
				k := j
				for k < len(v) && !isSpace(v[k]) && v[k] != '>' {
					switch v[k] {
					case '"', '\'', '<', '=', '`':
						return 0, false
					}
					k++
				}
				val = v[j:k]
				j = k
			}
		}
		if j < len(v) && !isSpace(v[j]) && v[j] != '>' && v[j] != '/' {
			// An attribute glued to the next: "a=1b=2".
			return 0, false
		}
		if !inertAttr(name, attr, val) {
			return 0, false
		}
	}
}

// inertAttr reports whether attribute attr of element name, with value
// val, runs nothing.
func inertAttr(name, attr, val []byte) bool {
	switch {
	case hasPrefixFold(attr, "data-") || hasPrefixFold(attr, "aria-"):
		return true
	case inList(attr, inertAttrs[:]):
		return true
	case equalFoldStr(attr, "style"):
		return inertStyle(val)
	case inList(attr, inertURLAttrs[:]):
		if equalFoldStr(attr, "srcset") {
			// "a.png 1x, b.png 2x": each candidate's URL.
			for _, c := range splitComma(val) {
				c = bytes.TrimSpace(c)
				k := 0
				for k < len(c) && !isSpace(c[k]) {
					k++
				}
				if !inertURL(c[:k], false) {
					return false
				}
			}
			return true
		}
		img := equalFoldStr(name, "img") || equalFoldStr(name, "source") || equalFoldStr(attr, "poster")
		return inertURL(val, img)
	}
	return false
}

// inertURL reports whether v, read as a browser reads an attribute (its
// character references decoded, control bytes and spaces dropped), is
// a relative URL or an http, https, mailto or tel one; image is whether
// an inline image (data:image/png…) is allowed too.
func inertURL(v []byte, image bool) bool {
	var b [24]byte
	head, plain := urlHead(b[:0], v)
	if !plain {
		return false
	}
	for i, c := range head {
		switch c {
		case ':':
			switch string(head[:i]) {
			case "http", "https", "mailto", "tel":
				return true
			case "data":
				rest := head[i+1:]
				return image && hasPrefixFold(rest, "image/") && !hasPrefixFold(rest, "image/svg")
			}
			return false
		case '/', '?', '#', '.':
			// The scheme part ended: a relative URL.
			return true
		}
	}
	// No ':' among the first bytes: a relative URL ("img/a.png").
	return len(head) < len(b) || indexByte(v, ':') < 0
}

// inertStyle reports whether a style attribute's value is plain
// declarations: no escapes or comments that hide a keyword, no
// expression(), behavior, -moz-binding or @import, and url() only to
// http(s), relative or inline images.
func inertStyle(v []byte) bool {
	for _, c := range v {
		if c == '\\' || c == '&' || c == '<' {
			return false
		}
	}
	for _, k := range [...]string{"/*", "expression", "behavior", "binding", "@import", "javascript", "vbscript"} {
		if indexFold(v, k) >= 0 {
			return false
		}
	}
	for i := 0; ; {
		k := indexFold(v[i:], "url(")
		if k < 0 {
			return true
		}
		i += k + 4
		u := bytes.TrimSpace(v[i:])
		if len(u) > 0 && (u[0] == '"' || u[0] == '\'') {
			u = u[1:]
		}
		if !inertURL(u, true) {
			return false
		}
	}
}
