package llm

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/warden-dev/warden/internal/redact"
)

func FuzzParseJudgement(f *testing.F) {
	for _, s := range []string{
		`{"choices":[{"message":{"role":"assistant","content":"{\"verdict\":\"benign\",\"confidence\":0.2,\"category\":\"b\",\"reason\":\"r\"}"},"finish_reason":"stop"}]}`,
		`{"choices":[{"message":{"content":"` + "```json\\n{\\\"verdict\\\":\\\"malicious\\\",\\\"confidence\\\":1,\\\"category\\\":\\\"x\\\",\\\"reason\\\":\\\"y\\\"}\\n```" + `"}}]}`,
		`{"choices":[]}`,
		`{"choices":[{"message":{"content":null}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var resp chatResponse
		if json.Unmarshal(data, &resp) != nil {
			return
		}
		j, err := parseJudgement(resp)
		if err != nil {
			return
		}
		if j.Confidence < 0 || j.Confidence > 1 || len(j.Reason) > 200 || len(j.Category) > 40 {
			t.Fatalf("judgement out of bounds: %+v", j)
		}
	})
}

func TestBoundRedacts(t *testing.T) {
	c := newCaller("http://127.0.0.1", "", time.Second, 1, 60, 1, time.Minute, 1<<10, redact.NewNames([]string{"pin_code"}))
	for in, want := range map[string]string{
		"Authorization: Bearer abc.def.ghi123":   "Authorization: [redacted]",
		"my key is sk-proj-abcdefghijklmnop1234": "my key is [redacted]",
		"password=hunter22 and more":             "password=[redacted] and more",
		"Cookie: session=abcdef":                 "Cookie: [redacted]",
		`{"user":"bob","pin_code":"1234"}`:       `{"user":"bob","pin_code":"[redacted]"}`,
		"nothing secret here":                    "nothing secret here",
	} {
		if got := c.bound(in); got != want {
			t.Errorf("bound(%q) = %q, want %q", in, got, want)
		}
	}
}
