package payload

import (
	"errors"
	"fmt"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/route"
)

// everyClass has the bit of every class the detector reports.
const everyClass = allClasses &^ (1 << cNone)

// fieldRule is a compiled field of an exclusion: values the path names
// are not reported for the classes in mask.
type fieldRule struct {
	path fieldPath
	mask classMask
}

// fieldRules are the exclusions of one route pattern, merged.
type fieldRules struct {
	all    classMask   // classes not reported for any value of the route
	fields []fieldRule // classes not reported for some fields
}

// compileExclusions validates the exclusions and returns their route
// table, nil when there are none. Errors name the entry and field
// ("exclusions[1].classes[0]: …"). Exclusions with the same pattern are
// merged; patterns that ServeMux would refuse together (two patterns
// that match the same requests, neither more specific) are an error.
func compileExclusions(xs []Exclusion) (*route.Table[*fieldRules], error) {
	if len(xs) == 0 {
		return nil, nil
	}
	var errs []error
	t := route.NewTable[*fieldRules](route.Exact) // exclusions only loosen: spellings of the route stay inspected
	byPattern := map[string]*fieldRules{}
	for i, x := range xs {
		at := fmt.Sprintf("exclusions[%d]", i)
		var mask classMask
		for j, name := range x.Classes {
			c, ok := classByName(name)
			if !ok {
				errs = append(errs, unknownClass(fmt.Sprintf("%s.classes[%d]", at, j), name))
				continue
			}
			mask |= 1 << c
		}
		if len(x.Classes) == 0 {
			mask = everyClass
		}
		var rules []fieldRule
		for j, f := range x.Fields {
			p, err := parseFieldPath(f)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.fields[%d]: malformed field path %q: %w", at, j, f, err))
				continue
			}
			rules = append(rules, fieldRule{path: p, mask: mask})
		}
		if x.Route == "" {
			errs = append(errs, fmt.Errorf("%s.route: required (a ServeMux pattern such as \"POST /api/posts\")", at))
			continue
		}
		fr, ok := byPattern[x.Route]
		if !ok {
			fr = &fieldRules{}
			if err := t.Add(x.Route, fr); err != nil {
				errs = append(errs, fmt.Errorf("%s.route: not a valid route pattern, or one that conflicts with an earlier exclusion's: %v", at, err))
				continue
			}
			byPattern[x.Route] = fr
		}
		if len(x.Fields) == 0 {
			fr.all |= mask
		}
		fr.fields = append(fr.fields, rules...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

// setRules looks up the exclusions of r's route and sets the request's
// rules and route-wide mask (s.fields.skip). Requests on routes without
// exclusions get none and pay for nothing but the lookup.
func (s *scan) setRules(r *abuse.Request) {
	s.fields.message = r.Class == "message"
	t := s.d.exclusions
	if t == nil {
		return
	}
	if fr, _, ok := t.Match(r.Method, r.Host, r.Path); ok {
		s.fields.rules = fr
		s.fields.skip = fr.all
	}
}

// ruled reports whether the request has rules for named fields: the
// JSON walker then tracks paths, and form, query and multipart values
// are checked against them.
func (s *scan) ruled() bool { return s.fields.rules != nil && len(s.fields.rules.fields) > 0 }

// nameMask returns the classes not reported for the value of the query
// parameter, form field or multipart part name.
func (s *scan) nameMask(name []byte) classMask {
	var m classMask
	for i := range s.fields.rules.fields {
		if f := &s.fields.rules.fields[i]; f.path.matchName(name) {
			m |= f.mask
		}
	}
	return m
}

// pathMask returns the classes not reported for the JSON value at the
// walker's current path: the route's field rules that name it, and every
// class for the message text of a recognised chat body.
func (s *scan) pathMask() classMask {
	f := &s.fields.fs
	if f.over > 0 {
		return 0
	}
	if s.fields.chat != 0 {
		for i := range chatRules {
			if r := &chatRules[i]; s.fields.chat&r.kind != 0 && f.match(r.path) {
				return everyClass
			}
		}
	}
	var m classMask
	if s.fields.rules != nil {
		for i := range s.fields.rules.fields {
			if r := &s.fields.rules.fields[i]; m&r.mask != r.mask && f.match(r.path) {
				m |= r.mask
			}
		}
	}
	return m
}

// ruledValue inspects v (with character classes cm), whose field's
// rules exclude the classes in mask besides the route's. A value every
// class of which is excluded is counted, not inspected.
func (s *scan) ruledValue(v []byte, cm uint32, mask classMask) {
	if mask == 0 {
		s.valueMask(v, cm)
		return
	}
	old := s.fields.skip
	s.fields.skip |= mask
	if s.fields.skip&everyClass == everyClass {
		if len(v) > 0 && s.values < s.d.cfg.MaxValues {
			s.values++
		}
	} else {
		s.valueMask(v, cm)
	}
	s.fields.skip = old
}

// fieldState is the part of a request's scan that field paths and
// exclusions need.
type fieldState struct {
	rules *fieldRules // the exclusions of the request's route, nil for none
	skip  classMask   // classes not reported for the value being inspected
	chat  chatKind    // the kinds the JSON body was recognised as
	track bool        // the JSON walker keeps fs: there are field rules
	// pending says whether the JSON body may still be a chat body, not
	// yet asked (chatKinds); restart, that the walk must start again,
	// tracking paths, as it is one.
	pending, restart bool
	body             []byte // the JSON body being walked, for chatKinds
	// message says the request is on a route of the message class, where
	// LibreChat's {"text": …} bodies are chat bodies.
	message bool
	fs      fieldStack
}

func (f *fieldState) reset() {
	f.rules, f.skip, f.chat, f.track, f.message = nil, 0, 0, false, false
	f.pending, f.restart, f.body = false, false, nil
	f.fs.reset()
	trimBuf(&f.fs.keys)
}
