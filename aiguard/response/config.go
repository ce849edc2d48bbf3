package response

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/warden-dev/warden/internal/route"
	"github.com/warden-dev/warden/internal/suggest"
)

// Action is what the guard does with a finding of one type.
type Action string

// The actions a finding may take.
const (
	Off    Action = "off"    // not looked for
	Log    Action = "log"    // reported in the decision log; the answer passes unchanged
	Redact Action = "redact" // replaced by "[redacted]" in flight; the framing stays valid
	Cut    Action = "cut"    // the answer ends with an error event (streamed) or a 502 (not streamed)
)

var actionNames = []string{string(Off), string(Log), string(Redact), string(Cut)}

func (a Action) validate() error {
	switch a {
	case Off, Log, Redact, Cut:
		return nil
	}
	return fmt.Errorf("%q is not an action, want one of %s%s", string(a), strings.Join(actionNames, ", "), suggest.Hint(string(a), actionNames))
}

// Actions says what each type of finding does.
type Actions struct {
	Secrets      Action `yaml:"secrets"`       // API keys, private keys, JWTs, credentials, secret-named values
	Email        Action `yaml:"email"`         // e-mail addresses (reserved example domains excepted)
	Phone        Action `yaml:"phone"`         // phone numbers
	Card         Action `yaml:"card"`          // payment card numbers passing Luhn
	IBAN         Action `yaml:"iban"`          // IBANs passing the mod-97 check
	Canary       Action `yaml:"canary"`        // the canary token added to the system message
	SystemPrompt Action `yaml:"system_prompt"` // text like the configured system prompt
	HTML         Action `yaml:"html"`          // script, iframes, javascript: URLs, event-handler attributes
}

// Config is the section ai.response.
type Config struct {
	// Enabled turns the guard on for the answers of the routes below.
	Enabled bool `yaml:"enabled"`
	// Classes and Routes select the answers read: route classes
	// (default ["message"]) and ServeMux patterns.
	Classes []string `yaml:"classes"`
	Routes  []string `yaml:"routes"`
	// ChatBodies also reads the answers to chat requests on any route:
	// a JSON body with "model" and "messages" (OpenAI chat completions,
	// Anthropic messages), so that a proxy with no route classes
	// configured still guards an LLM API. Default true.
	ChatBodies bool `yaml:"chat_bodies"`
	// Actions per type of finding; see DefaultConfig.
	Actions Actions `yaml:"actions"`
	// Canary, when set, is added to the system message of every chat
	// request on the routes (a system message is inserted when there is
	// none); an answer carrying it leaks the system prompt. Use a random
	// string of at least 8 bytes that nothing else would say.
	Canary string `yaml:"canary"`
	// SystemPrompt (or SystemPromptFile) is the app's system prompt; an
	// answer repeating a run of it is a leak. Similarity is the share of
	// the last words' 4-word shingles found in the prompt that counts
	// as a leak (default 0.6).
	SystemPrompt     string  `yaml:"system_prompt"`
	SystemPromptFile string  `yaml:"system_prompt_file"`
	Similarity       float64 `yaml:"similarity"`
	// Prompt is what a secret or personal data in the user's own
	// messages does: off (default), log, or redact: each value is sent
	// upstream as a placeholder ("[EMAIL_1]", "[CARD_1]", "[SECRET_1]")
	// and put back where the answer repeats it, streamed or not; the
	// mapping lives only as long as the answer and is never logged.
	// Only the user's and tools' messages are read, not the app's system
	// prompt; a finding never scores towards a ban (a user pasting their
	// address is no abuse).
	Prompt Action `yaml:"prompt"`
	// RendersMarkdown says the app's UI renders answers as markdown or
	// HTML: only then is HTML in an answer looked for.
	RendersMarkdown bool `yaml:"renders_markdown"`
	// MaxJSONBytes bounds a JSON answer read whole (default 4 MiB); a
	// larger one passes unread and is counted. MaxEventBytes bounds one
	// server-sent event or JSON line (default 1 MiB) the same way.
	MaxJSONBytes  int `yaml:"max_json_bytes"`
	MaxEventBytes int `yaml:"max_event_bytes"`
}

// DefaultConfig returns the defaults: on for the message class; secrets
// redacted, a canary leak cut, personal data, system-prompt similarity
// and HTML logged.
func DefaultConfig() Config {
	return Config{
		Enabled:    true,
		Classes:    []string{"message"},
		ChatBodies: true,
		Actions: Actions{Secrets: Redact, Email: Log, Phone: Log, Card: Log, IBAN: Log,
			Canary: Cut, SystemPrompt: Log, HTML: Log},
		Similarity:    0.6,
		MaxJSONBytes:  4 << 20,
		MaxEventBytes: 1 << 20,
	}
}

// minCanary is the shortest canary: a shorter one would be said by
// chance.
const minCanary = 8

// Validate checks the section; the error names the first field that is
// wrong, by its path in the section.
func (c Config) Validate() error {
	var errs []error
	for _, a := range []struct {
		name string
		a    Action
	}{
		{"secrets", c.Actions.Secrets}, {"email", c.Actions.Email}, {"phone", c.Actions.Phone},
		{"card", c.Actions.Card}, {"iban", c.Actions.IBAN}, {"canary", c.Actions.Canary},
		{"system_prompt", c.Actions.SystemPrompt}, {"html", c.Actions.HTML},
	} {
		if a.a == "" {
			continue // the default
		}
		if err := a.a.validate(); err != nil {
			errs = append(errs, fmt.Errorf("actions.%s: %w", a.name, err))
		}
	}
	switch c.Prompt {
	case "", Off, Log, Redact:
	default:
		errs = append(errs, fmt.Errorf("prompt: %q: want off, log or redact%s", string(c.Prompt), suggest.Hint(string(c.Prompt), []string{"off", "log", "redact"})))
	}
	for i, r := range c.Routes {
		if err := route.NewTable[bool](route.Exact).Add(r, true); err != nil {
			errs = append(errs, fmt.Errorf("routes[%d]: %w", i, err))
		}
	}
	for i, cl := range c.Classes {
		if cl == "" {
			errs = append(errs, fmt.Errorf("classes[%d]: empty class", i))
		}
	}
	if c.Canary != "" && len(c.Canary) < minCanary {
		errs = append(errs, fmt.Errorf("canary: shorter than %d bytes", minCanary))
	}
	if strings.ContainsAny(c.Canary, "\"\\\x00\n\r") {
		errs = append(errs, errors.New("canary: may not hold quotes, backslashes or line breaks"))
	}
	if c.SystemPrompt != "" && c.SystemPromptFile != "" {
		errs = append(errs, errors.New("system_prompt_file: set either system_prompt or system_prompt_file"))
	}
	if c.Similarity < 0 || c.Similarity > 1 || c.Similarity != c.Similarity {
		errs = append(errs, errors.New("similarity: must be between 0 and 1"))
	}
	if c.MaxJSONBytes < 0 {
		errs = append(errs, errors.New("max_json_bytes: must be >= 0"))
	}
	if c.MaxEventBytes < 0 {
		errs = append(errs, errors.New("max_event_bytes: must be >= 0"))
	}
	if len(errs) > 0 {
		// The first only: the ai section prefixes one error with
		// "response.", and a joined error would lose that prefix.
		return errs[0]
	}
	return nil
}

// withDefaults fills the zero fields with DefaultConfig's and reads
// SystemPromptFile.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	for _, p := range []struct{ a, def *Action }{
		{&c.Actions.Secrets, &d.Actions.Secrets}, {&c.Actions.Email, &d.Actions.Email},
		{&c.Actions.Phone, &d.Actions.Phone}, {&c.Actions.Card, &d.Actions.Card},
		{&c.Actions.IBAN, &d.Actions.IBAN}, {&c.Actions.Canary, &d.Actions.Canary},
		{&c.Actions.SystemPrompt, &d.Actions.SystemPrompt}, {&c.Actions.HTML, &d.Actions.HTML},
	} {
		if *p.a == "" {
			*p.a = *p.def
		}
	}
	if c.Similarity == 0 {
		c.Similarity = d.Similarity
	}
	if c.Prompt == "" {
		c.Prompt = Off
	}
	if c.MaxJSONBytes == 0 {
		c.MaxJSONBytes = d.MaxJSONBytes
	}
	if c.MaxEventBytes == 0 {
		c.MaxEventBytes = d.MaxEventBytes
	}
	if c.SystemPromptFile != "" {
		b, err := os.ReadFile(c.SystemPromptFile)
		if err != nil {
			return c, fmt.Errorf("system_prompt_file: %w", err)
		}
		c.SystemPrompt = string(b)
	}
	return c, nil
}
