// Package ratehdr builds the headers of Warden's rate-limited answer
// (429): Retry-After and the IETF httpapi RateLimit-Policy and RateLimit
// fields. Package ratelimit and the behaviour detector's rate findings
// share it, so every 429 reads the same. Internal: not for users.
package ratehdr

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Policy is the RateLimit-Policy value of a policy named name allowing q
// requests per window w ("name";q=100;w=60), or q at a time when w is 0
// ("name";q=4).
func Policy(name string, q int64, w time.Duration) string {
	if w <= 0 {
		return fmt.Sprintf(`"%s";q=%d`, name, q)
	}
	return fmt.Sprintf(`"%s";q=%d;w=%d`, name, q, Seconds(w))
}

// Denied returns the headers of a request denied under the policy named
// name, whose RateLimit-Policy value is policy, that may retry after
// retry: Retry-After and RateLimit's t in whole seconds (at least 1), and
// no requests remaining.
func Denied(name, policy string, retry time.Duration) http.Header {
	secs := strconv.FormatInt(Seconds(retry), 10)
	h := make(http.Header, 3)
	h.Set("Retry-After", secs)
	h.Set("RateLimit-Policy", policy)
	h.Set("RateLimit", `"`+name+`";r=0;t=`+secs)
	return h
}

// Seconds rounds d up to whole seconds, at least 1.
func Seconds(d time.Duration) int64 {
	return max(int64((d+time.Second-1)/time.Second), 1)
}
