package llm

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Config is the llm section of Warden's configuration. The judge is off
// when BaseURL is empty.
type Config struct {
	// BaseURL of an OpenAI-compatible API including its version prefix,
	// e.g. "https://api.openai.com/v1" or "http://127.0.0.1:11434/v1";
	// the judge posts to BaseURL + "/chat/completions".
	BaseURL string `yaml:"base_url"` // env WARDEN_LLM_BASE_URL
	APIKey  string `yaml:"api_key"`  // env WARDEN_LLM_API_KEY
	Model   string `yaml:"model"`    // env WARDEN_LLM_MODEL

	Timeout         time.Duration `yaml:"timeout"`           // per call (default 5s)
	MaxConcurrent   int           `yaml:"max_concurrent"`    // calls in flight (default 4)
	CallsPerMinute  int           `yaml:"calls_per_minute"`  // budget (default 60)
	CacheSize       int           `yaml:"cache_size"`        // cached judgements (default 4096)
	CacheTTL        time.Duration `yaml:"cache_ttl"`         // default 1h
	MaxContentBytes int           `yaml:"max_content_bytes"` // content sent per call (default 8 KiB)

	// SecretFields names fields whose values are secrets besides
	// redact.DefaultFields; their values are redacted from what the judge
	// is sent. The server copies the top-level redact.fields here.
	SecretFields []string `yaml:"-"`
}

// DefaultConfig returns the defaults; BaseURL stays empty (judge off).
func DefaultConfig() Config {
	return Config{
		Timeout:         5 * time.Second,
		MaxConcurrent:   4,
		CallsPerMinute:  60,
		CacheSize:       4096,
		CacheTTL:        time.Hour,
		MaxContentBytes: 8 << 10,
	}
}

// Enabled reports whether a judge endpoint is configured.
func (c Config) Enabled() bool { return c.BaseURL != "" }

// Validate checks the section; errors start with the field path.
func (c Config) Validate() error {
	if c.BaseURL != "" {
		if err := checkBaseURL(c.BaseURL); err != nil {
			return fmt.Errorf("base_url: %w", err)
		}
		if c.Model == "" {
			return fmt.Errorf("model: must be set when base_url is")
		}
	}
	switch {
	case c.Timeout < 0:
		return fmt.Errorf("timeout: must be >= 0")
	case c.MaxConcurrent < 0:
		return fmt.Errorf("max_concurrent: must be >= 0")
	case c.CallsPerMinute < 0:
		return fmt.Errorf("calls_per_minute: must be >= 0")
	case c.CacheSize < 0:
		return fmt.Errorf("cache_size: must be >= 0")
	case c.CacheTTL < 0:
		return fmt.Errorf("cache_ttl: must be >= 0")
	case c.MaxContentBytes < 0:
		return fmt.Errorf("max_content_bytes: must be >= 0")
	}
	return nil
}

// ApplyEnv overlays WARDEN_LLM_BASE_URL, WARDEN_LLM_API_KEY,
// WARDEN_LLM_MODEL and WARDEN_LLM_TIMEOUT.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	if v, ok := lookup("WARDEN_LLM_BASE_URL"); ok {
		if v != "" {
			if err := checkBaseURL(v); err != nil {
				return fmt.Errorf("WARDEN_LLM_BASE_URL: %w", err)
			}
		}
		c.BaseURL = v
	}
	if v, ok := lookup("WARDEN_LLM_API_KEY"); ok {
		c.APIKey = v
	}
	if v, ok := lookup("WARDEN_LLM_MODEL"); ok {
		c.Model = v
	}
	if v, ok := lookup("WARDEN_LLM_TIMEOUT"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("WARDEN_LLM_TIMEOUT: %q is not a duration like 5s", v)
		}
		c.Timeout = d
	}
	return nil
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Timeout == 0 {
		c.Timeout = d.Timeout
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = d.MaxConcurrent
	}
	if c.CallsPerMinute == 0 {
		c.CallsPerMinute = d.CallsPerMinute
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = d.CacheTTL
	}
	if c.MaxContentBytes == 0 {
		c.MaxContentBytes = d.MaxContentBytes
	}
	return c
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s is not an http:// or https:// URL", strconv.Quote(s))
	}
	return nil
}
