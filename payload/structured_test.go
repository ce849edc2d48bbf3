package payload

import (
	"context"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// Structured values (ids, sort keys, short parameters, headers) get every
// check text gets and more: evidence that counts in a comment counts at
// least as much in an id. Each table names the principle its cases test;
// the cases are written for these tests. blocked cases must reach the
// block threshold, allowed ones must stay below it.

type structuredCase struct {
	name    string
	req     *abuse.Request
	blocked bool
}

func form(body string) *abuse.Request {
	return post("application/x-www-form-urlencoded", body)
}

func runStructured(t *testing.T, cases []structuredCase) {
	t.Helper()
	d := newTestDetector(t)
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := d.Detect(ctx, tc.req)
			if blocked := v.Confidence >= 0.8; blocked != tc.blocked {
				t.Errorf("blocked = %v, want %v: %q %.2f %q", blocked, tc.blocked, v.Violation, v.Confidence, v.Messages)
			}
		})
	}
}

// A structured value that goes on as SQL after a literal the application
// supplies (a condition after OR / AND, a stacked statement, UNION
// SELECT, a comment) is the breakout the text checks look for; it is no
// less one in a parameter.
func TestStructuredSQLContinuation(t *testing.T) {
	runStructured(t, []structuredCase{
		{"or condition with an open quote", query("p", "OR code = '"), true},
		{"and inequality with an open double quote", query("f", "and qty != \""), true},
		{"or condition in a form", form("filter=or+status+%3D+%27"), true},
		{"name with an apostrophe and a conjunction", query("name", "O'Brien and Sons"), false},
		{"contraction then or", query("q", "it's or not"), false},
		{"words around or", query("p", "x or y"), false},
		{"number then words", query("v", "1 or more"), false},
		{"quoted title", query("title", "Rock 'n' Roll or Jazz"), false},
	})
}

// A parameter the server fetches (named url, src, feed, webhook, …) that
// holds a host without a scheme reaches the same internal address as the
// http URL an HTTP client makes of it. Other names, counts and public
// hosts stay allowed.
func TestStructuredBareHost(t *testing.T) {
	runStructured(t, []structuredCase{
		{"loopback name with a path", query("url", "localhost.localdomain/"), true},
		{"upper-case localhost", query("image_url", "LOCALHOST/admin"), true},
		{"loopback with a port", query("webhook", "127.0.0.1:6379/"), true},
		{"metadata address", form("feedSrc=169.254.169.254%2Flatest%2Fmeta-data%2F"), true},
		{"name that resolves to loopback", query("avatarUrl", "app.lvh.me/x"), true},
		{"private address in json", post("application/json", `{"callback": "10.1.2.3:8080/hook"}`), true},
		{"database host in an installer", form("dbhost=localhost&dbname=wp"), false},
		{"host field", query("host", "localhost"), false},
		{"redirect to a local app", query("redirect_url", "localhost:3000/home"), false},
		{"count in a url-named field", query("urlfix", "1"), false},
		{"number in a fetched field", query("url", "2130706433"), false},
		{"public host", query("url", "example.com/feed.xml"), false},
		{"prose about localhost", query("link", "localhost is fine"), false},
		{"word containing url", query("curly", "localhost/"), false},
	})
}

// A value that starts with a conjunction and a condition ("AND 7=8)",
// "OR (3=4)") goes on after the application's operand: the SQL checks
// run on it as on " and " inside a value.
func TestStructuredLeadingConjunction(t *testing.T) {
	runStructured(t, []structuredCase{
		{"and with numbers and a paren", query("id", "AND 4410=4411)"), true},
		{"or with a parenthesised condition", query("id", "OR (52=53)"), true},
		{"xor condition in a form", form("n=XOR+8%3D8"), true},
		{"word starting with or", query("fruit", "orange=1"), false},
		{"band name", query("artist", "and=you"), false},
	})
}

// An encoded '=' in a query or form name ("pay%3DAND+1%3D1") carries a
// pair whose value part is inspected as a value.
func TestStructuredPairInName(t *testing.T) {
	runStructured(t, []structuredCase{
		{"condition after an encoded equals", form("pay%3DAND+4410%3D4411%29"), true},
		{"parenthesised condition in a query name", get("/p?q%3DOR+(7%3D9)"), true},
		{"plain name with an equals in its value", form("expr=a%3Db"), false},
		{"name with an encoded equals and a word", form("sort%3Dname=asc"), false},
	})
}

// A structured value that closes a parenthesis or quote and goes on with
// "AS alias FROM" ends a select list and names the statement's source.
// Text that merely says "as seen from" is not one.
func TestStructuredAliasFrom(t *testing.T) {
	runStructured(t, []structuredCase{
		{"closed subquery aliased", form("col=%29+as+total+FROM"), true},
		{"number closing a call", query("f", "7) AS n FROM"), true},
		{"backticks around the alias", form("c=%60+AS+%60label%60+from"), true},
		{"parenthesised word then prose", query("note", "(draft) as seen from space"), false},
		{"alias without from", query("f", "1) as total"), false},
	})
}

// A condition on a JSON value (a literal and a JSON operator, or a JSON
// function) after OR / AND is a condition like 1=1.
func TestStructuredJSONCondition(t *testing.T) {
	runStructured(t, []structuredCase{
		{"containment after or", query("id", `OR '{"role":"admin"}'::jsonb @> '{"role":"admin"}'`), true},
		{"key existence after and", query("id", `AND '["x"]' ? 'x'`), true},
		{"json function after or", form("id=OR+JSON_EXTRACT%28%27%7B%7D%27%2C%27%24.a%27%29+IS+NULL"), true},
		{"path extraction after a closed quote", query("name", `x' OR '{"a":[1,2]}' ->> 'a' = '1`), true},
		{"question after or", query("t", "or 'why' ? yes"), false},
		{"json word in prose", query("t", "or jsonify my answer"), false},
	})
}

// A path segment is an id that goes into a query: it gets the SQL
// continuation check that values get. Slugs and words stay allowed.
func TestStructuredPathSegment(t *testing.T) {
	runStructured(t, []structuredCase{
		{"json condition in a segment", get("/items/OR%20%27%5B1%5D%27%20%3F%20%271%27"), true},
		{"tautology in a segment", get("/users/7%20OR%203%3D3"), true},
		{"union in a segment", get("/p/x%27%20UNION%20SELECT%20null,null--"), true},
		{"slug starting with or", get("/wiki/OR_gate"), false},
		{"slug with and", get("/blog/and-then-there-were-none"), false},
		{"dashes segment", get("/docs/--"), false},
		{"words in a segment", get("/search/or%20more"), false},
	})
}

// A header or cookie whose whole value is a path into a system directory
// is aimed at a server that logs, includes or opens it; a query
// parameter holding one stays in the grey zone (file managers).
func TestStructuredSysPathHeader(t *testing.T) {
	runStructured(t, []structuredCase{
		{"system path as user agent", withHeaders("User-Agent", "/sys/kernel/mm/transparent_hugepage/enabled"), true},
		{"system path as referer", withHeaders("User-Agent", browserUA, "Referer", "/var/lib/dpkg/status"), true},
		{"system path in a file manager parameter", query("dir", "/var/lib/mysql"), false},
		{"url referer", withHeaders("User-Agent", browserUA, "Referer", "https://example.com/etc/page"), false},
		{"sentence naming a path in a header", withHeaders("User-Agent", "probe reading /etc/os-release for support"), false},
	})
}

// A structured value that is nothing but a call to a library function
// (a name with an underscore) with no arguments is a probe for an eval
// sink; calls in prose and plain names stay allowed.
func TestStructuredEmptyLibraryCall(t *testing.T) {
	runStructured(t, []structuredCase{
		{"string function", query("v", "iconv_strlen()"), true},
		{"parser function in a form", form("f=xml_parser_create%28%29"), true},
		{"mixed case", query("x", "Mb_Substr()"), true},
		{"plain word call", query("v", "refresh()"), false},
		{"underscore name without a call", query("v", "str_rot13"), false},
		{"call in a sentence", query("note", "run the make_release() step after the tests pass"), false},
	})
}

// Text that names HTML elements without attributes ("<iframe>", a search
// for a tag) runs nothing when reflected; a script element, an attribute
// or a call still counts.
func TestTextInertTags(t *testing.T) {
	runStructured(t, []structuredCase{
		{"search for an iframe tag", query("q", "<iframe>"), false},
		{"search for table tags", query("q", "<table></table>"), false},
		{"search for an object tag in a form", form("search=%3Cobject%3E"), false},
		{"script element", query("q", "<script>"), true},
		{"iframe with a javascript source", query("q", "<iframe src=javascript:alert(1)>"), true},
		{"tag then a call", query("q", "<iframe>alert(document.domain)"), true},
		{"attribute breakout", query("q", `" onmouseover="alert(1)`), true},
	})
}

// After a closed literal, an operand that ends the statement (a comment
// after "|col", a ';' after "OR true") rewrites the query: the rest of
// the application's statement is cut off.
func TestSQLCutOffAfterOperand(t *testing.T) {
	runStructured(t, []structuredCase{
		{"bitwise or then a comment", form("name=z%27%7Cpasswd--"), true},
		{"comparison then a comment", query("user", "k'>token#"), true},
		{"true then a semicolon", form("email=%27+OR+TRUE%3B+x"), true},
		{"number then a semicolon in text", query("q", "n' or 1;"), true},
		{"equation in a search", query("q", "it's = fine--"), false},
		{"apostrophes and an equals", query("q", "rock'n'roll=1--"), false},
		{"or a number in prose", query("q", "pick A or 1; then B"), false},
	})
}

// A search or comment that starts with WHERE or HAVING and a condition
// goes on after the application's literal, as one that starts with OR.
func TestTextLeadingWhere(t *testing.T) {
	runStructured(t, []structuredCase{
		{"where tautology in a search", query("q", "WHERE 1=1 --"), true},
		{"having condition in a comment", form("comment=having+2%3E1%23"), true},
		{"where in a sentence", query("q", "where is the station"), false},
	})
}
