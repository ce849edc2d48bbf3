package config

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/warden-dev/warden/internal/clip"
	"github.com/warden-dev/warden/internal/suggest"
)

// FieldError is a configuration error tied to a field path such as
// "routes.login[0]" or the name of an environment variable.
type FieldError struct {
	Path string
	Err  error
	// File and Line locate the field in the config file, when known.
	File string
	Line int
}

func (e *FieldError) Error() string {
	where := e.File
	switch {
	case where != "" && e.Line > 0:
		where += ":" + strconv.Itoa(e.Line)
	case e.Line > 0:
		where = "line " + strconv.Itoa(e.Line)
	}
	if where != "" {
		where += ": "
	}
	return where + e.Path + ": " + e.Err.Error()
}
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(path string, format string, args ...any) error {
	return &FieldError{Path: path, Err: fmt.Errorf(format, args...)}
}

// decodeStrict decodes node into the value v points to, walking structs
// itself so that unknown keys and wrong types are reported with their full
// field path (yaml's own KnownFields error gives only a line number and Go
// type names).
func decodeStrict(node *yaml.Node, v reflect.Value, path string) []error {
	if node == nil {
		return nil
	}
	if node.Kind == yaml.DocumentNode {
		if len(node.Content) == 0 {
			return nil
		}
		return decodeStrict(node.Content[0], v, path)
	}
	if node.Kind == yaml.AliasNode {
		return decodeStrict(node.Alias, v, path)
	}
	if v.Type() == reflect.TypeFor[time.Duration]() && node.Kind == yaml.ScalarNode && node.Tag != "!!null" {
		d, err := ParseDuration(node.Value)
		if err != nil {
			return []error{&FieldError{Path: orRoot(path), Err: err, Line: node.Line}}
		}
		v.SetInt(int64(d))
		return nil
	}
	// Types with their own YAML decoding, and scalars, go to yaml directly.
	if v.CanAddr() {
		if _, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
			return wrapDecode(node, v, path)
		}
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type().String() == "time.Time" {
			return wrapDecode(node, v, path)
		}
		if node.Kind == yaml.ScalarNode && node.Tag == "!!null" {
			return nil
		}
		if node.Kind != yaml.MappingNode {
			return []error{fieldErr(orRoot(path), "must be a mapping, not %s", kindName(node))}
		}
		fields := yamlFields(v.Type())
		var errs []error
		seen := map[string]bool{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			key := node.Content[i].Value
			p := join(path, key)
			if seen[key] {
				errs = append(errs, &FieldError{Path: p, Err: errors.New("given twice"), Line: node.Content[i].Line})
				continue
			}
			seen[key] = true
			idx, ok := fields[key]
			if !ok {
				fe := &FieldError{Path: p, Err: errors.New("unknown field (check its spelling and section)"), Line: node.Content[i].Line}
				if k, near := suggest.Closest(key, slices.Sorted(maps.Keys(fields))); near {
					fe.Err = fmt.Errorf("unknown field (did you mean %s?)", k)
				}
				errs = append(errs, fe)
				continue
			}
			errs = append(errs, decodeStrict(node.Content[i+1], v.FieldByIndex(idx), p)...)
		}
		return errs
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Struct {
			return wrapDecode(node, v, path)
		}
		if node.Kind != yaml.SequenceNode {
			return []error{fieldErr(orRoot(path), "must be a list, not %s", kindName(node))}
		}
		s := reflect.MakeSlice(v.Type(), len(node.Content), len(node.Content))
		var errs []error
		for i, n := range node.Content {
			errs = append(errs, decodeStrict(n, s.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		v.Set(s)
		return errs
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.Struct || v.Type().Key().Kind() != reflect.String {
			return wrapDecode(node, v, path)
		}
		if node.Kind != yaml.MappingNode {
			return []error{fieldErr(orRoot(path), "must be a mapping, not %s", kindName(node))}
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		var errs []error
		for i := 0; i+1 < len(node.Content); i += 2 {
			key := node.Content[i].Value
			elem := reflect.New(v.Type().Elem()).Elem()
			if old := v.MapIndex(reflect.ValueOf(key).Convert(v.Type().Key())); old.IsValid() {
				elem.Set(old)
			}
			errs = append(errs, decodeStrict(node.Content[i+1], elem, join(path, key))...)
			v.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), elem)
		}
		return errs
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return decodeStrict(node, v.Elem(), path)
	}
	return wrapDecode(node, v, path)
}

func wrapDecode(node *yaml.Node, v reflect.Value, path string) []error {
	if err := node.Decode(v.Addr().Interface()); err != nil {
		var te *yaml.TypeError
		msg := err.Error()
		if errors.As(err, &te) && len(te.Errors) > 0 {
			msg = cleanYAMLError(te.Errors[0])
		}
		return []error{&FieldError{Path: orRoot(path), Err: errors.New(msg), Line: node.Line}}
	}
	return nil
}

// cleanYAMLError turns "line 3: cannot unmarshal !!str `abc` into int" into
// "want int, got string "abc"".
func cleanYAMLError(s string) string {
	if _, rest, ok := strings.Cut(s, "cannot unmarshal "); ok {
		if got, want, ok := strings.Cut(rest, " into "); ok {
			got = strings.NewReplacer("!!str", "string", "!!int", "integer", "!!float", "number", "!!bool", "boolean", "!!seq", "list", "!!map", "mapping", "`", "").Replace(got)
			return "want " + goTypeName(want) + ", got " + got
		}
	}
	return s
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case t == "time.Duration":
		return durationWant
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	}
	return t
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return "the value " + strconv.Quote(clip.String(n.Value, 40))
	}
	return "something else"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

// yamlFields maps YAML keys to struct field indexes, skipping fields tagged
// "-" and descending into inline structs.
func yamlFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			for k, idx := range yamlFields(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
	}
	return out
}

// durationWant is what a duration error asks for.
const durationWant = "a duration like 90s, 2h or 7d"

// ParseDuration reads a duration as time.ParseDuration does, with "d"
// for days (24h) as a leading unit: "7d", "1d12h". Config files need
// days for bans and quotas, and Go has no unit for them.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, rest, ok := strings.Cut(s, "d"); ok && days != "" && !strings.ContainsAny(days, "hmsuµn.") {
		n, err := strconv.ParseInt(days, 10, 32)
		if err == nil && n >= 0 && n <= 100*366 {
			d := time.Duration(n) * 24 * time.Hour
			if rest == "" {
				return d, nil
			}
			if r, err := time.ParseDuration(rest); err == nil && r >= 0 {
				return d + r, nil
			}
		}
		return 0, fmt.Errorf("want %s, got %q", durationWant, clip.String(s, 40))
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want %s, got %q", durationWant, clip.String(s, 40))
	}
	return d, nil
}
