package payload

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" means valid
	}{
		{"default", func(*Config) {}, ""},
		{"depth", func(c *Config) { c.MaxDepth = 0 }, "max_depth:"},
		{"values", func(c *Config) { c.MaxValues = -1 }, "max_values:"},
		{"value bytes", func(c *Config) { c.MaxValueBytes = 10 }, "max_value_bytes:"},
		{"parts", func(c *Config) { c.MaxParts = 0 }, "max_parts:"},
		{"header", func(c *Config) { c.Headers = []string{"X-Ok", "bad header"} }, "headers[1]:"},
		{"disable", func(c *Config) { c.Disable = []string{"xss", "sqlx"} }, `disable[1]: unknown class "sqlx" (did you mean sqli?)`},
		{"disable, nothing close", func(c *Config) { c.Disable = []string{"banana"} }, `disable[0]: unknown class "banana" (known: sqli, xss,`},
		{"chat content", func(c *Config) { c.ChatContent = "inspct" }, `chat_content: unknown value "inspct" (did you mean inspect?); want model or inspect`},
		{"chat content inspect", func(c *Config) { c.ChatContent = ChatInspect }, ""},
		{"chat content unset", func(c *Config) { c.ChatContent = "" }, ""},
		{"exclusions", func(c *Config) {
			c.Exclusions = []Exclusion{
				{Route: "POST /api/posts", Fields: []string{"body", "comments[].text"}, Classes: []string{"xss", "command_injection"}},
				{Route: "POST /api/posts", Fields: []string{"meta.*"}},
				{Route: "/api/snippets/{id}"},
			}
		}, ""},
		{"exclusion route", func(c *Config) { c.Exclusions = []Exclusion{{Route: "POST /api/{"}} }, "exclusions[0].route: not a valid route pattern"},
		{"exclusion route missing", func(c *Config) { c.Exclusions = []Exclusion{{Fields: []string{"a"}}} }, "exclusions[0].route: required"},
		{"exclusion routes conflict", func(c *Config) {
			c.Exclusions = []Exclusion{{Route: "GET /a/{x}/b"}, {Route: "GET /a/{y}/b"}}
		}, "exclusions[1].route: not a valid route pattern, or one that conflicts"},
		{"exclusion class", func(c *Config) {
			c.Exclusions = []Exclusion{{Route: "/a"}, {Route: "/b", Classes: []string{"comand_injection"}}}
		}, `exclusions[1].classes[0]: unknown class "comand_injection" (did you mean command_injection?)`},
		{"exclusion field", func(c *Config) {
			c.Exclusions = []Exclusion{{Route: "/a", Fields: []string{"ok", "comments[.text"}}}
		}, `exclusions[0].fields[1]: malformed field path "comments[.text": '[' at byte 8 must be followed by ']'`},
		{"exclusion empty segment", func(c *Config) {
			c.Exclusions = []Exclusion{{Route: "/a", Fields: []string{"a..b"}}}
		}, `exclusions[0].fields[0]: malformed field path "a..b": empty segment`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %v, want prefix %q", err, tc.want)
			}
			if _, nerr := New(c); nerr == nil {
				t.Fatal("New accepted an invalid config")
			}
		})
	}
}

func TestDisableAndEnabled(t *testing.T) {
	c := DefaultConfig()
	c.Disable = []string{"xss"}
	d, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if v := d.Detect(t.Context(), get("/s?q=<script>alert(1)</script>")); v.Violation == "xss" {
		t.Fatalf("disabled class reported: %+v", v)
	}
	c = DefaultConfig()
	c.Enabled = false
	d, _ = New(c)
	if v := d.Detect(t.Context(), get("/s?q=<script>alert(1)</script>")); v.Found() {
		t.Fatalf("disabled detector found something: %+v", v)
	}
}

func TestExtraHeaders(t *testing.T) {
	c := DefaultConfig()
	c.OtherHeaders = false
	c.Headers = []string{"x-search"}
	d, _ := New(c)
	r := withHeader(withHeader(get("/"), "X-Search", "1' UNION SELECT password FROM users--"), "X-Other", "<script>alert(1)</script>")
	v := d.Detect(t.Context(), r)
	if v.Violation != "sqli" || strings.Contains(strings.Join(v.Messages, " "), "xss") {
		t.Fatalf("want only the configured header inspected, got %+v", v)
	}
}

func TestMessagesBounded(t *testing.T) {
	d := newTestDetector(t)
	long := strings.Repeat("A", 500) + "<script>alert(1)</script>" + strings.Repeat("B", 500)
	v := d.Detect(t.Context(), post("application/json", `{"`+strings.Repeat("k", 300)+`":"`+long+`"}`))
	if v.Violation != "xss" {
		t.Fatalf("got %+v", v)
	}
	for _, m := range v.Messages {
		if strings.Count(m, "A")+strings.Count(m, "B")+strings.Count(m, "k") > 64 {
			t.Errorf("message quotes more than 64 bytes of the request: %q", m)
		}
	}
}
