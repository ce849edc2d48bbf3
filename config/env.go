package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/warden-dev/warden/internal/clip"
)

// envAliases are the documented variable names (README, "Configuration
// reference") that differ from the derived WARDEN_<PATH> form.
var envAliases = map[string]string{
	"WARDEN_REDIS_URL":            "store.redis",
	"WARDEN_POSTGRES_DSN":         "store.postgres",
	"WARDEN_CLOUDFLARE_API_TOKEN": "escalation.cloudflare.api_token",
}

// EnvName is the variable that overrides the field at a YAML path:
// "admin.listen" → "WARDEN_ADMIN_LISTEN".
func EnvName(path string) string {
	return "WARDEN_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(path))
}

// envApplier is a section that reads further variables of its own, such
// as LibreChat's names.
type envApplier interface {
	ApplyEnv(lookup func(string) (string, bool)) error
}

// ApplyEnv overlays the environment: every scalar field (and list of
// strings, comma-separated) has a WARDEN_<PATH> variable, the aliases
// the README documents apply, and sections with an ApplyEnv method read their own
// variables. Errors name the variable.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	var errs []error
	for name, path := range envAliases {
		if s, ok := lookup(name); ok {
			errs = append(errs, setPath(reflect.ValueOf(c).Elem(), path, s, name))
		}
	}
	errs = append(errs, applyEnv(reflect.ValueOf(c).Elem(), "", lookup)...)
	return errors.Join(errs...)
}

func applyEnv(v reflect.Value, path string, lookup func(string) (string, bool)) []error {
	var errs []error
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" || name == "" || (path == "" && name == "env_file") {
			continue
		}
		p := join(path, name)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeFor[time.Time]() {
			errs = append(errs, applyEnv(fv, p, lookup)...)
			if a, ok := fv.Addr().Interface().(envApplier); ok {
				errs = append(errs, a.ApplyEnv(lookup))
			}
			continue
		}
		varName := EnvName(p)
		s, ok := lookup(varName)
		if !ok {
			continue
		}
		if err := setValue(fv, s); err != nil {
			errs = append(errs, &FieldError{Path: varName, Err: err})
		}
	}
	return errs
}

func setPath(v reflect.Value, path, s, varName string) error {
	for _, key := range strings.Split(path, ".") {
		idx, ok := yamlFields(v.Type())[key]
		if !ok {
			return fmt.Errorf("%s: internal: no field %s", varName, path)
		}
		v = v.FieldByIndex(idx)
	}
	if err := setValue(v, s); err != nil {
		return &FieldError{Path: varName, Err: err}
	}
	return nil
}

func setValue(v reflect.Value, s string) error {
	s = strings.TrimSpace(s)
	if v.Type() == reflect.TypeFor[time.Duration]() {
		d, err := ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", clip.String(s, 40))
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v.OverflowInt(n) {
			return fmt.Errorf("want an integer, got %q", clip.String(s, 40))
		}
		v.SetInt(n)
	case reflect.Float64, reflect.Float32:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number, got %q", clip.String(s, 40))
		}
		v.SetFloat(f)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return nil
		}
		var parts []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		sl := reflect.MakeSlice(v.Type(), len(parts), len(parts))
		for i, p := range parts {
			sl.Index(i).SetString(p)
		}
		v.Set(sl)
	}
	return nil
}
