package payload

import (
	"strconv"
	"strings"

	"github.com/warden-dev/warden/abuse"
)

// ViolationIncomplete is the violation type of a request the detector
// could not inspect in full: what it did not read could hold the attack,
// and an attacker who knows the limits puts it there.
const ViolationIncomplete = "inspection_incomplete"

// incompletePrefix starts the message that says an inspection was
// incomplete.
const incompletePrefix = "inspection incomplete:"

// Incomplete reports whether v, a verdict of this detector, says the
// request was not inspected in full: as its violation, or beside the
// attack it found.
func Incomplete(v *abuse.Verdict) bool {
	if v.Detector != Name {
		return false
	}
	if v.Violation == ViolationIncomplete {
		return true
	}
	for _, m := range v.Messages {
		if strings.HasPrefix(m, incompletePrefix) {
			return true
		}
	}
	return false
}

// incompleteness records which limit stopped an inspection.
type incompleteness uint8

const (
	incValues incompleteness = 1 << iota // more names and values than MaxValues
	incParts                             // more multipart parts than MaxParts
	incDepth                             // JSON or XML nested deeper than MaxDepth
	incBody                              // the body went on past inspect.body_limit
	incUpload                            // ... and was cut inside a file's content
	incChecks                            // a value held more candidates than a check reads on from
)

// Confidences of an incomplete inspection: the first blocks under the
// default policy, the second is logged.
const (
	incompleteBlock = 0.85
	incompleteLog   = 0.6
)

// maxOverlap is how far consecutive windows of a long value overlap: an
// attack string shorter than this lies whole in one window.
const maxOverlap = 4 << 10

// windows inspects a value longer than MaxValueBytes whole, in windows of
// MaxValueBytes that overlap by maxOverlap (or a quarter of a window,
// whichever is less). Each window counts as a value. Cutting the value to
// its prefix, as a fixed budget would, lets a client hide an injection
// behind padding; the body limit bounds the windows of a request.
func (s *scan) windows(v []byte) {
	w := s.d.cfg.MaxValueBytes
	step := w - min(maxOverlap, w/4)
	for off := 0; off < len(v) && s.values < s.d.cfg.MaxValues; off += step {
		end := min(off+w, len(v))
		part := v[off:end]
		s.inspect(part, charMask(part))
		if end == len(v) {
			return
		}
	}
}

// truncated records that the request's body goes on past what was
// buffered: when the walk of a multipart body ended inside a file's
// content, only file bytes are known to be missing.
func (s *scan) truncated() {
	if s.upload {
		s.incomplete |= incUpload
		return
	}
	s.incomplete |= incBody
}

// incompleteVerdict adds what the inspection could not reach to v, the
// verdict of what it found: an attack verdict keeps its violation and
// gains a message; otherwise the request is reported as
// ViolationIncomplete.
func (s *scan) incompleteVerdict(v abuse.Verdict) abuse.Verdict {
	if !s.d.cfg.Body && s.incomplete&(incBody|incUpload) == s.incomplete {
		return v
	}
	msg := s.incompleteMessage()
	if v.Found() {
		v.Messages = append(v.Messages, msg)
		return v
	}
	conf := incompleteBlock
	if s.d.cfg.Incomplete == IncompleteLog || s.incomplete == incUpload {
		conf = incompleteLog
	}
	return abuse.Verdict{
		Detector:   Name,
		Confidence: conf,
		Violation:  ViolationIncomplete,
		Reason:     "request too large to inspect in full",
		Messages:   []string{msg},
	}
}

// incompleteMessage names each limit the inspection met and its setting.
func (s *scan) incompleteMessage() string {
	msg := incompletePrefix
	sep := " "
	add := func(what string) {
		msg += sep + what
		sep = "; "
	}
	c := s.d.cfg
	if s.incomplete&incValues != 0 {
		add("more than " + strconv.Itoa(c.MaxValues) + " values (payload.max_values)")
	}
	if s.incomplete&incParts != 0 {
		add("more than " + strconv.Itoa(c.MaxParts) + " multipart parts (payload.max_parts)")
	}
	if s.incomplete&incDepth != 0 {
		add("nested deeper than " + strconv.Itoa(c.MaxDepth) + " (payload.max_depth)")
	}
	if s.incomplete&incChecks != 0 {
		add("a value holds more candidate SQL breakouts than are checked")
	}
	if s.incomplete&incBody != 0 {
		add("body longer than inspect.body_limit")
	}
	if s.incomplete&incUpload != 0 {
		add("upload longer than inspect.body_limit, cut inside a file")
	}
	return msg
}
