package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/warden-dev/warden/behavior"
	"github.com/warden-dev/warden/bot"
	"github.com/warden-dev/warden/enforce"
	"github.com/warden-dev/warden/internal/clip"
	"github.com/warden-dev/warden/internal/suggest"
	"github.com/warden-dev/warden/payload"
	"github.com/warden-dev/warden/protocol"
	"github.com/warden-dev/warden/ratelimit"
)

// DetectorNames returns the names of the detectors Warden builds.
func DetectorNames() []string {
	return []string{
		protocol.Name, bot.Name, payload.Name, behavior.Name, "ratelimit",
		"prompt_injection", "model_input", "token_budget", "moderation",
		"model_extraction", "response",
	}
}

// checkNames reports names in the file that name nothing: misspelt
// detector names, and route classes that no routes entry
// defines. A class that the file itself references must exist; a default
// reference (the default policies name login, register and message) is
// reported only when a class of the file is a near spelling of it, since
// an operator may replace the classes on purpose but "loginn" is a typo
// that leaves the login limit unapplied.
func (c *Config) checkNames(root *yaml.Node) []error {
	var errs []error
	// A name near one of Warden's detectors is a typo ("paylod" would
	// leave payload enforcing where the operator believes it monitors);
	// any other name may be a detector the application registers in Go
	// (Guard.Detect), which takes its mode and routes from here.
	builtin := DetectorNames()
	for _, name := range slices.Sorted(maps.Keys(c.Detectors)) {
		if slices.Contains(builtin, name) {
			continue
		}
		if h := suggest.Hint(name, builtin); h != "" {
			errs = append(errs, fieldErr("detectors."+name, "unknown detector %q%s", clip.String(name, 40), h))
		}
	}
	classes := slices.Sorted(maps.Keys(c.Routes))
	ref := func(path, class string) {
		if slices.Contains(classes, class) {
			return
		}
		near, ok := suggest.Closest(class, classes)
		switch {
		case nodeAt(root, path) != nil:
			errs = append(errs, fieldErr(path, "route class %q is not defined under routes%s", clip.String(class, 40), knownHint(class, classes)))
		case ok:
			// The typo is in routes: point there.
			fe := &FieldError{Path: path, Err: fmt.Errorf("the default route class %q is not defined under routes (did you mean %s? rename it to %s, or set %s)",
				class, near, class, strings.SplitN(path, "[", 2)[0])}
			if n := nodeAt(root, "routes."+near); n != nil {
				fe.Line = n.Line
			}
			errs = append(errs, fe)
		}
	}
	for i, p := range c.RateLimit.Policies {
		for j, class := range p.Classes {
			ref(fmt.Sprintf("ratelimit.policies[%d].classes[%d]", i, j), class)
		}
	}
	if c.AI.Budget.Enabled {
		for j, class := range c.AI.Budget.Classes {
			ref(fmt.Sprintf("ai.budget.classes[%d]", j), class)
		}
	}
	if c.AI.Moderation.Enabled {
		for j, class := range c.AI.Moderation.Classes {
			ref(fmt.Sprintf("ai.moderation.classes[%d]", j), class)
		}
	}
	// Detectors of other programs may score violation types Warden does
	// not know, so only a near spelling of a known one is an error.
	known := slices.Sorted(maps.Keys(enforce.DefaultConfig().Scores))
	known = append(known, ratelimit.ViolationQuota, payload.ViolationIncomplete)
	known = append(known, payload.Classes()...)
	for _, p := range c.RateLimit.Policies {
		if p.Violation != "" {
			known = append(known, p.Violation)
		}
	}
	for _, t := range slices.Sorted(maps.Keys(c.Enforce.Scores)) {
		if slices.Contains(known, t) || nodeAt(root, "enforce.scores."+t) == nil {
			continue
		}
		if near, ok := suggest.Closest(t, known); ok {
			errs = append(errs, fieldErr("enforce.scores."+t, "unknown violation type %q (did you mean %s?)", clip.String(t, 40), near))
		}
	}
	return errs
}

// knownHint is " (did you mean X?)" or " (known: a, b, …)".
func knownHint(word string, known []string) string {
	if h := suggest.Hint(word, known); h != "" {
		return h
	}
	if len(known) == 0 {
		return " (none defined)"
	}
	return " (known: " + strings.Join(known, ", ") + ")"
}

// nodeAt returns the node of the file at a field path such as
// `ratelimit.policies[0].classes[1]` or `detectors.payload.routes["GET /a"]`:
// the key node for a mapping entry, whose line is the one to show. It
// returns nil when the file does not hold the path.
func nodeAt(root *yaml.Node, path string) *yaml.Node {
	n, complete := walk(root, path)
	if !complete {
		return nil
	}
	return n
}

// walk follows path in the file as far as it goes and returns the last
// node reached and whether it reached the end of the path.
func walk(root *yaml.Node, path string) (*yaml.Node, bool) {
	if root == nil {
		return nil, false
	}
	cur := root
	if cur.Kind == yaml.DocumentNode {
		if len(cur.Content) == 0 {
			return nil, false
		}
		cur = cur.Content[0]
	}
	var last *yaml.Node
	val := cur
	for path != "" {
		var key string
		isIndex := false
		switch {
		case strings.HasPrefix(path, `["`):
			q, err := strconv.QuotedPrefix(path[1:])
			if err != nil {
				return last, false
			}
			key, _ = strconv.Unquote(q)
			path = strings.TrimPrefix(path[1+len(q):], "]")
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return last, false
			}
			key, path, isIndex = path[1:end], path[end+1:], true
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			key, path = path[:end], path[end:]
		}
		path = strings.TrimPrefix(path, ".")
		for val != nil && val.Kind == yaml.AliasNode {
			val = val.Alias
		}
		if val == nil {
			return last, false
		}
		if isIndex {
			i, err := strconv.Atoi(key)
			if err != nil || val.Kind != yaml.SequenceNode || i < 0 || i >= len(val.Content) {
				return last, false
			}
			last, val = val.Content[i], val.Content[i]
			continue
		}
		if val.Kind != yaml.MappingNode {
			return last, false
		}
		found := false
		for i := 0; i+1 < len(val.Content); i += 2 {
			if val.Content[i].Value == key {
				last, val, found = val.Content[i], val.Content[i+1], true
				break
			}
		}
		if !found {
			return last, false
		}
	}
	return last, true
}

// locate gives each field error of err the line of its field in the file
// (or of the nearest enclosing one the file holds) and drops repeated
// errors, so that each problem is reported once.
func locate(err error, root *yaml.Node) error {
	if err == nil {
		return nil
	}
	var out []error
	seen := map[string]bool{}
	for _, e := range flatten(err) {
		var fe *FieldError
		if errors.As(e, &fe) && fe.Line == 0 && root != nil {
			if n, _ := walk(root, fe.Path); n != nil {
				fe.Line = n.Line
			}
		}
		if seen[e.Error()] {
			continue
		}
		seen[e.Error()] = true
		out = append(out, e)
	}
	return errors.Join(out...)
}

// inFile names the file in each field error of err.
func inFile(err error, file string) error {
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range flatten(err) {
		var fe *FieldError
		if errors.As(e, &fe) {
			fe.File = file
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// flatten lists the errors joined in err, depth first.
func flatten(err error) []error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}
