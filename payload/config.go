package payload

import (
	"errors"
	"fmt"
	"strings"

	"github.com/warden-dev/warden/internal/suggest"
)

// Config is the `payload` section of Warden's configuration.
type Config struct {
	// Enabled turns the detector on. New still builds a disabled detector;
	// it finds nothing.
	Enabled bool `yaml:"enabled"`
	// Headers lists request headers inspected besides User-Agent, Referer
	// and Cookie (which are always inspected).
	Headers []string `yaml:"headers"`
	// OtherHeaders inspects every header not in a built-in list of
	// well-known structural headers (Accept*, Content-Length, Host,
	// Authorization, Sec-*, …), where Log4Shell and scanner payloads often
	// travel.
	OtherHeaders bool `yaml:"other_headers"`
	// Body inspects form, multipart, JSON, XML and text bodies.
	Body bool `yaml:"body"`
	// Base64 also inspects the decoded form of values that look like
	// base64 text.
	Base64 bool `yaml:"base64"`
	// MaxDepth bounds JSON and XML nesting that is walked.
	MaxDepth int `yaml:"max_depth"`
	// MaxValues bounds how many names and values are inspected per
	// request. The default inspects every value a body of the default
	// inspect.body_limit can hold; a request with more is reported as
	// inspection_incomplete (see Incomplete).
	MaxValues int `yaml:"max_values"`
	// MaxValueBytes is the window a value is inspected in: a longer value
	// is inspected whole, window by window, the windows overlapping so
	// that nothing up to maxOverlap bytes long falls between two.
	MaxValueBytes int `yaml:"max_value_bytes"`
	// MaxParts bounds how many multipart parts are read; a body with
	// more is reported as inspection_incomplete.
	MaxParts int `yaml:"max_parts"`
	// Incomplete says what a request Warden could not inspect in full
	// is: "block" (the default) or "log". Past max_values, max_parts or
	// max_depth, or with a body longer than inspect.body_limit (oversize:
	// prefix), what was not inspected could hold the attack, so the
	// request is reported with the violation type inspection_incomplete,
	// at block confidence with "block" and log confidence with "log". A
	// multipart upload cut by body_limit inside a file's content is
	// logged either way: file contents are not inspected anyway, and
	// refusing every large upload would stop the users of any site with
	// a file field.
	Incomplete string `yaml:"incomplete"`
	// Disable lists attack classes not reported: the violation types
	// listed in docs/detection.md (a config error names them too).
	Disable []string `yaml:"disable"`
	// ChatContent says what the detector does with the message text of a
	// recognised chat request body: "model" (the default) leaves it to
	// the AI detectors, "inspect" inspects it like any other value.
	//
	// The users of an AI chat paste SQL queries, shell sessions, stack
	// traces and questions about exploits into their messages, and a
	// model is meant to read them: a payload verdict there is the false
	// positive that gets Warden removed, while the text cannot harm the
	// application, which hands it to a model rather than to a database or
	// a shell. The prompt-injection detector, moderation and the budgets
	// judge that text instead. Only the text is exempt: the message text
	// of OpenAI chat completions (messages[].content, as a string or as
	// text parts), of OpenAI responses (input, input[].content,
	// instructions), of Anthropic messages (system, messages[].content),
	// the legacy completions prompt, and LibreChat's "text" on routes of
	// the "message" class. The model name, ids, tool and function names
	// and a tool call's arguments, URLs (image_url.url, files), metadata
	// and every key the detector does not know stay inspected. A body is
	// recognised from its top-level keys (a "model" string and
	// "messages", "input" or "prompt"; LibreChat's "text" string on a
	// message route); a body not recognised is inspected in full. To
	// exempt message text on some routes only, set "inspect" and list
	// the fields in Exclusions.
	ChatContent string `yaml:"chat_content"`
	// SecretFields names fields whose values are secrets besides
	// redact.DefaultFields: messages name such a field and quote
	// "[redacted]", and its value is judged as text (by the evidence that
	// it breaks out of a query or a page), so that a strong password does
	// not read as an injection. The server copies the top-level
	// redact.fields here.
	SecretFields []string `yaml:"-"`
	// Exclusions stop some classes being reported for some fields of
	// some routes: the findings a site has judged false positives (a
	// blog's post body holds HTML, a code host's snippets hold shell).
	// Each names a route (a net/http.ServeMux pattern, matched as
	// ServeMux matches it), fields (field paths such as "body",
	// "comments[].text", "items[].*"; none: every value of the request,
	// path and headers included) and classes (none: every class). A
	// value whose path a listed field names is not reported for the
	// listed classes; everything else is inspected as before. When a
	// request matches the patterns of several exclusions, only those of
	// the most specific pattern apply, as ServeMux would pick one handler.
	Exclusions []Exclusion `yaml:"exclusions"`
}

// Exclusion is one entry of Config.Exclusions.
type Exclusion struct {
	// Route is a net/http.ServeMux pattern ("POST /api/posts",
	// "/api/posts/{id}"); the method is optional.
	Route string `yaml:"route"`
	// Fields are field paths: JSON keys joined by '.', "[]" for array
	// elements, "*" for any one key or element; query, form and multipart
	// names as they are. Empty: every value of the route.
	Fields []string `yaml:"fields"`
	// Classes are attack classes, as in Disable. Empty: every class.
	Classes []string `yaml:"classes"`
}

// Values of Config.ChatContent.
const (
	ChatModel   = "model"
	ChatInspect = "inspect"
)

// Values of Config.Incomplete.
const (
	IncompleteBlock = "block"
	IncompleteLog   = "log"
)

// defaultMaxValues is how many values the smallest JSON values ("a",)
// fill the default 1 MiB inspect.body_limit with: every body Warden
// buffers by default is inspected to its end. A value costs tens of
// nanoseconds to count and more only when it could hold an attack, so
// the whole of a 1 MiB body costs a few milliseconds at worst
// (BenchmarkFullBody).
const defaultMaxValues = 1 << 18

// DefaultConfig returns the configuration a demanding security user would
// expect: every class on, bodies and non-standard headers inspected.
func DefaultConfig() Config {
	return Config{
		Enabled:       true,
		OtherHeaders:  true,
		Body:          true,
		Base64:        true,
		MaxDepth:      32,
		MaxValues:     defaultMaxValues,
		MaxValueBytes: 64 << 10,
		MaxParts:      256,
		ChatContent:   ChatModel,
		Incomplete:    IncompleteBlock,
	}
}

// Validate reports every invalid field, each error starting with its path
// in the section (for example "max_depth: …").
func (c Config) Validate() error {
	var errs []error
	if c.MaxDepth < 1 || c.MaxDepth > maxMaxDepth {
		errs = append(errs, fmt.Errorf("max_depth: must be between 1 and %d, got %d", maxMaxDepth, c.MaxDepth))
	}
	if c.MaxValues < 1 {
		errs = append(errs, fmt.Errorf("max_values: must be > 0, got %d", c.MaxValues))
	}
	if c.MaxValueBytes < 64 {
		errs = append(errs, fmt.Errorf("max_value_bytes: must be >= 64, got %d", c.MaxValueBytes))
	}
	if c.MaxParts < 1 {
		errs = append(errs, fmt.Errorf("max_parts: must be > 0, got %d", c.MaxParts))
	}
	for i, h := range c.Headers {
		if strings.TrimSpace(h) == "" || strings.ContainsAny(h, " :\r\n") {
			errs = append(errs, fmt.Errorf("headers[%d]: %q is not a header name", i, h))
		}
	}
	for i, d := range c.Disable {
		if _, ok := classByName(d); !ok {
			errs = append(errs, unknownClass(fmt.Sprintf("disable[%d]", i), d))
		}
	}
	switch c.ChatContent {
	case "", ChatModel, ChatInspect:
	default:
		errs = append(errs, fmt.Errorf("chat_content: unknown value %q%s; want %s or %s",
			c.ChatContent, suggest.Hint(c.ChatContent, []string{ChatModel, ChatInspect}), ChatModel, ChatInspect))
	}
	switch c.Incomplete {
	case "", IncompleteBlock, IncompleteLog:
	default:
		errs = append(errs, fmt.Errorf("incomplete: unknown value %q%s; want %s or %s",
			c.Incomplete, suggest.Hint(c.Incomplete, []string{IncompleteBlock, IncompleteLog}), IncompleteBlock, IncompleteLog))
	}
	if _, err := compileExclusions(c.Exclusions); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// unknownClass is the error for a class name that is not one, at field.
func unknownClass(field, name string) error {
	if hint := suggest.Hint(name, classNames[1:]); hint != "" {
		return fmt.Errorf("%s: unknown class %q%s", field, name, hint)
	}
	return fmt.Errorf("%s: unknown class %q (known: %s)", field, name, strings.Join(Classes(), ", "))
}
