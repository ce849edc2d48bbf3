package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/config"
	"github.com/warden-dev/warden/internal/syncbuf"
)

// The README's examples are run as written (issue #20): its Go blocks are
// type-checked against the module's packages, its shell commands run
// against a binary built the README's way, and its YAML blocks validate.
// A snippet the README adds later must be handled here or listed in
// readmeSkipped, so that no example goes untested without a reason.

// readmeBlock is one fenced block of the README.
type readmeBlock struct {
	lang string // the info string: go, sh, yaml, "" …
	line int    // the line of the opening fence, for messages
	text string
}

func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var (
		blocks []readmeBlock
		cur    *readmeBlock
		body   strings.Builder
	)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if !strings.HasPrefix(line, "```") {
			if cur != nil {
				body.WriteString(line)
				body.WriteByte('\n')
			}
			continue
		}
		if cur == nil {
			cur = &readmeBlock{lang: strings.TrimSpace(strings.TrimPrefix(line, "```")), line: n}
			body.Reset()
			continue
		}
		cur.text = body.String()
		blocks = append(blocks, *cur)
		cur = nil
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("README.md:%d: unclosed code block", cur.line)
	}
	return blocks
}

// readmeGlue declares what the README's Go examples leave to the reader's
// program: the app's own auth middleware, its context key and its mux, and
// the ctx and cfg a fragment continues from. A name is declared (at package
// level, so a fragment may still declare its own) only when no snippet
// declares it at top level.
var readmeGlue = map[string]struct{ decl, imp string }{
	"userKey": {"type userKey struct{}", ""},
	"auth":    {"func auth(next http.Handler) http.Handler { return next }", "net/http"},
	"appMux":  {"var appMux = http.NewServeMux()", "net/http"},
	"ctx":     {"var ctx = context.Background()", "context"},
	"cfg":     {"var cfg = config.Default()", "github.com/warden-dev/warden/config"},
	"main":    {"func main() {}", ""},
}

// TestReadmeGoSnippets compiles every ```go block of the README into one
// throwaway package of this module and runs go vet on it (which
// type-checks), so a renamed function, a changed signature or a wrong
// import path in the README fails here, and so does an ignored error.
// Line directives make every message name the README's line. A block with its own imports is a
// file; a fragment is the body of a function, importing the packages it
// names.
func TestReadmeGoSnippets(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := modulePackages(t, root)
	readme := filepath.Join(root, "README.md")
	// A dot directory inside the module: its imports resolve against this
	// module, and "./..." patterns (go test, vet, staticcheck) skip it.
	dir, err := os.MkdirTemp(root, ".readme-snippets-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	n := 0
	declared := map[string]bool{}
	for _, b := range readmeBlocks(t) {
		if b.lang != "go" {
			continue
		}
		n++
		var src string
		if strings.Contains(b.text, "\nfunc ") || strings.HasPrefix(b.text, "import") {
			src = fmt.Sprintf("package main\n\n//line %s:%d\n%s", readme, b.line+1, b.text)
		} else {
			src = fmt.Sprintf("package main\n\n%s\nfunc readmeSnippet%d() {\n//line %s:%d\n%s}\n",
				importDecl(snippetImports(b.text, pkgs)), n, readme, b.line+1, b.text)
		}
		f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
		if err != nil {
			t.Errorf("README.md:%d: the go block does not parse: %v", b.line, err)
			continue
		}
		for _, d := range f.Decls {
			for _, name := range declNames(d) {
				declared[name] = true
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("snippet%d.go", n)), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n < 2 {
		t.Fatalf("found %d go blocks in the README; the middleware examples are missing", n)
	}
	var glue []string
	glueImports := map[string]string{}
	for name, g := range readmeGlue {
		if !declared[name] {
			glue = append(glue, g.decl)
			if g.imp != "" {
				glueImports[g.imp] = g.imp
			}
		}
	}
	sort.Strings(glue)
	glueSrc := "package main\n\n" + importDecl(glueImports) + "\n" + strings.Join(glue, "\n\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "glue.go"), []byte(glueSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "vet", "./"+filepath.Base(dir))
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README's Go examples do not compile against the module (%v):\n%s", err, out)
	}
	for _, msg := range ignoredErrors(t, root, dir) {
		t.Error(msg)
	}
}

// ignoredErrors type-checks the snippet package against the compiled
// export data of its imports and returns a message for every call whose
// error result the README drops on the floor (a statement g.Detect(…)
// rather than err = g.Detect(…)): readers copy examples, error handling
// included. Deferred calls (defer g.Close(…)) are left alone.
func ignoredErrors(t *testing.T, root, dir string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}={{.Export}}", "./"+filepath.Base(dir))
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	exports := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if path, file, ok := strings.Cut(l, "="); ok && file != "" {
			exports[path] = file
		}
	}
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, n := range names {
		f, err := parser.ParseFile(fset, n, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	conf := types.Config{Importer: importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file)
	})}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	if _, err := conf.Check("main", fset, files, info); err != nil {
		t.Fatalf("type-checking the README's Go examples: %v", err)
	}
	errType := types.Universe.Lookup("error").Type()
	var msgs []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			st, ok := n.(*ast.ExprStmt)
			if !ok {
				return true
			}
			call, ok := st.X.(*ast.CallExpr)
			if !ok {
				return true
			}
			res := info.Types[call].Type
			tuple, ok := res.(*types.Tuple)
			if !ok {
				tuple = types.NewTuple(types.NewVar(token.NoPos, nil, "", res))
			}
			for i := 0; i < tuple.Len(); i++ {
				if types.Identical(tuple.At(i).Type(), errType) {
					var b strings.Builder
					printer.Fprint(&b, fset, call.Fun)
					msgs = append(msgs, fmt.Sprintf("%s: the error %s returns is ignored", fset.Position(call.Pos()), b.String()))
				}
			}
			return true
		})
	}
	return msgs
}

// modulePackages maps a package name to its import path: the standard
// packages the README's fragments use, and every package of this module
// whose last path element is unique.
func modulePackages(t *testing.T, root string) map[string]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.Name}} {{.ImportPath}}", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	m := map[string]string{"bytes": "bytes", "context": "context", "errors": "errors", "fmt": "fmt",
		"http": "net/http", "io": "io", "log": "log", "os": "os", "strings": "strings", "time": "time"}
	byName := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if name, path, ok := strings.Cut(l, " "); ok && name != "main" {
			byName[name] = append(byName[name], path)
		}
	}
	for name, paths := range byName {
		if _, std := m[name]; !std && len(paths) == 1 {
			m[name] = paths[0] // an ambiguous name needs an import in the README itself
		}
	}
	return m
}

var selector = regexp.MustCompile(`\b([a-z][a-z0-9]*)\.[A-Z]`)

// snippetImports returns the packages a fragment names (pkg.Exported).
func snippetImports(src string, pkgs map[string]string) map[string]string {
	imports := map[string]string{}
	for _, m := range selector.FindAllStringSubmatch(src, -1) {
		if p, ok := pkgs[m[1]]; ok {
			imports[m[1]] = p
		}
	}
	return imports
}

func importDecl(imports map[string]string) string {
	var paths []string
	for _, p := range imports {
		paths = append(paths, fmt.Sprintf("\t%q\n", p))
	}
	sort.Strings(paths)
	return "import (\n" + strings.Join(paths, "") + ")\n"
}

func declNames(d ast.Decl) []string {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv == nil {
			return []string{d.Name.Name}
		}
	case *ast.GenDecl:
		var names []string
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				names = append(names, s.Name.Name)
			case *ast.ValueSpec:
				for _, n := range s.Names {
					names = append(names, n.Name)
				}
			}
		}
		return names
	}
	return nil
}

// TestReadmeYAMLSnippets: every ```yaml block of the README is a config
// that validates.
func TestReadmeYAMLSnippets(t *testing.T) {
	n := 0
	for _, b := range readmeBlocks(t) {
		if b.lang != "yaml" {
			continue
		}
		n++
		if _, err := config.Parse([]byte(b.text), noEnv); err != nil {
			t.Errorf("README.md:%d: the yaml block does not validate: %v", b.line, err)
		}
	}
	if n == 0 {
		t.Fatal("no yaml block in the README; the configuration reference is missing")
	}
}

// readmeSkipped lists the README's command lines this test does not run,
// each with why.
var readmeSkipped = map[string]string{
	"go get github.com/warden-dev/warden": "fetches this module from the network; the Go examples are compiled above instead",
	"cd bench":                            "the bench tools are their own module and read a corpus kept outside the repository",
}

// readmeCommand is one command line of a shell block (or a "$ " line of an
// output block).
type readmeCommand struct {
	line int
	args []string
}

func readmeCommands(t *testing.T) []readmeCommand {
	t.Helper()
	var cmds []readmeCommand
	for _, b := range readmeBlocks(t) {
		if b.lang != "sh" && b.lang != "" {
			continue
		}
		lines := strings.Split(b.text, "\n")
		for i, l := range lines {
			if b.lang == "" {
				// Output blocks: only "$ " lines are commands, and a block of
				// commands with no prompt (bench) is recognised by its first.
				if p, ok := strings.CutPrefix(l, "$ "); ok {
					l = p
				} else if !(i == 0 && (strings.HasPrefix(l, "cd ") || strings.HasPrefix(l, "go "))) {
					continue
				}
			}
			if c, _, _ := strings.Cut(l, "#"); strings.TrimSpace(c) != "" {
				if _, skip := readmeSkipped[strings.TrimSpace(c)]; skip {
					if b.lang == "" {
						break // the rest of the block runs in what was skipped
					}
					continue
				}
				args, err := shellFields(c)
				if err != nil {
					t.Fatalf("README.md:%d: %v", b.line+1+i, err)
				}
				cmds = append(cmds, readmeCommand{line: b.line + 1 + i, args: args})
			}
		}
	}
	return cmds
}

// shellFields splits a command line on blanks, keeping double-quoted
// words whole ("$(cat DATA/admin.token)").
func shellFields(s string) ([]string, error) {
	var (
		out   []string
		cur   strings.Builder
		quote bool
		word  bool
	)
	for _, r := range s {
		switch {
		case r == '"':
			quote, word = !quote, true
		case !quote && (r == ' ' || r == '\t'):
			if word {
				out = append(out, cur.String())
				cur.Reset()
				word = false
			}
		default:
			cur.WriteRune(r)
			word = true
		}
	}
	if quote {
		return nil, fmt.Errorf("unbalanced quote in %q", s)
	}
	if word {
		out = append(out, cur.String())
	}
	return out, nil
}

// TestReadmeShellSnippets runs every command of the README's shell blocks:
// the build line builds the binary the others use; serve and demo start in
// the background, must answer on their proxy and admin ports, and stop on
// Ctrl-C with exit 0; check-config must accept the README's configuration
// reference (which stands in for warden.yaml); assess must print its
// report, and its probes run against the demo started here. Ports are
// chosen by the system (flags added to each long-running command) so that
// the test never collides with anything on 8080 or 9090.
func TestReadmeShellSnippets(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	var reference string
	for _, b := range readmeBlocks(t) {
		if b.lang == "yaml" && strings.Contains(b.text, "\nlisten:") {
			reference = b.text
		}
	}
	if reference == "" {
		t.Fatal("no configuration reference in the README")
	}
	if err := os.WriteFile(filepath.Join(work, "warden.yaml"), []byte(reference), 0o644); err != nil {
		t.Fatal(err)
	}

	cmds := readmeCommands(t)
	bin := filepath.Join(work, "warden")
	built := false
	for _, c := range cmds {
		if len(c.args) >= 4 && c.args[0] == "go" && c.args[1] == "build" && c.args[2] == "-o" {
			args := append([]string{"build", "-o", bin}, c.args[4:]...)
			cmd := exec.Command("go", args...)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("README.md:%d: %s: %v\n%s", c.line, strings.Join(c.args, " "), err, out)
			}
			built = true
		}
	}
	if !built {
		t.Fatal("the README no longer says how to build the binary (go build -o warden ./cmd/warden)")
	}

	var demo *readmeProcess
	for _, c := range cmds {
		args := c.args
		switch {
		case len(args) >= 2 && args[0] == "go" && args[1] == "build":
			continue // done above
		case len(args) >= 3 && args[0] == "go" && args[1] == "run" && args[2] == "./cmd/warden":
			args = args[3:]
		case args[0] == "./warden" || args[0] == "warden":
			args = args[1:]
		default:
			t.Errorf("README.md:%d: %q is neither run by this test nor listed in readmeSkipped", c.line, strings.Join(c.args, " "))
			continue
		}
		if len(args) == 0 {
			t.Errorf("README.md:%d: a bare warden command", c.line)
			continue
		}
		name := fmt.Sprintf("README.md:%d %s", c.line, strings.Join(c.args, " "))
		t.Logf("running %s", name)
		switch args[0] {
		case "serve":
			env := []string{}
			if hasArg(args, "--forward-auth") {
				// As the README's comment says: forward auth needs the
				// front proxy's address in trusted_proxies.
				env = append(env, "WARDEN_TRUSTED_PROXIES=127.0.0.1/32")
			}
			if hasArg(args, "--config") && !hasArg(args, "--upstream") && !hasArg(args, "--forward-auth") {
				// The reference leaves upstream empty: a real warden.yaml names it.
				env = append(env, "WARDEN_UPSTREAM=http://127.0.0.1:3000")
			}
			p := startReadmeProcess(t, name, bin, work, env,
				append(args, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data", filepath.Join(work, fmt.Sprintf("data-%d", c.line))),
				regexp.MustCompile(`(?:proxy|forward-auth) http://(\S+) .*\nadmin:  http://(\S+)  \(token in (.+)\)`))
			p.checkUp(t)
			p.stop(t)
		case "demo":
			demo = startReadmeProcess(t, name, bin, work, nil,
				append(args, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data", filepath.Join(work, "demo-data"), "--every", "1h"),
				regexp.MustCompile(`through Warden: +http://(\S+)\n.*dashboard and admin: +http://(\S+?)/#token=\S*  \(token in (.+)\)`))
			demo.checkUp(t)
			// kept running for the assess probes below; stopped at the end
		case "check-config":
			cmd := exec.Command(bin, args...)
			cmd.Dir = work
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s on the README's configuration reference: %v\n%s", name, err, out)
			}
		case "assess":
			if hasArg(args, "--probe") {
				if demo == nil {
					t.Errorf("%s: the README runs it against the demo, which no block started", name)
					continue
				}
				// The README's addresses are the demo's defaults; here the
				// demo listens where the system put it.
				args = replaceArg(args, "--probe", "http://"+demo.proxy)
				args = replaceArg(args, "--admin", "http://"+demo.admin)
				tok, err := os.ReadFile(demo.tokenPath)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				args = replaceArg(args, "--token", strings.TrimSpace(string(tok)))
			}
			cmd := exec.Command(bin, args...)
			cmd.Dir = work
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("%s: %v\n%s", name, err, out)
				continue
			}
			want := "# Warden threat model"
			if hasArg(args, "--probe") {
				want = "| Probe | Expected | Got | Result | Threats |"
			}
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("%s: output lacks %q:\n%s", name, want, out)
			}
		default:
			t.Errorf("README.md:%d: warden %s is not run by this test: add it", c.line, args[0])
		}
	}
	if demo == nil {
		t.Error("the README no longer shows how to start the demo")
	} else {
		demo.stop(t)
	}
}

func hasArg(args []string, a string) bool {
	for _, x := range args {
		if x == a {
			return true
		}
	}
	return false
}

// replaceArg sets the value following flag, if the flag is there.
func replaceArg(args []string, flag, value string) []string {
	out := append([]string(nil), args...)
	for i := range out[:len(out)-1] {
		if out[i] == flag {
			out[i+1] = value
		}
	}
	return out
}

// readmeProcess is a long-running warden command started by the test.
type readmeProcess struct {
	name                    string
	cmd                     *exec.Cmd
	done                    chan error
	stdout, stderr          *syncbuf.Buffer
	proxy, admin, tokenPath string
	stopped                 bool
}

func startReadmeProcess(t *testing.T, name, bin, dir string, env, args []string, banner *regexp.Regexp) *readmeProcess {
	t.Helper()
	p := &readmeProcess{name: name, stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if !p.stopped {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := banner.FindStringSubmatch(p.stdout.String()); m != nil {
			p.proxy, p.admin, p.tokenPath = m[1], m[2], strings.TrimSpace(m[3])
			return p
		}
		select {
		case err := <-p.done:
			p.stopped = true
			t.Fatalf("%s exited (%v) before it was up:\n%s\n%s", name, err, p.stdout.String(), p.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s printed no addresses:\n%s\n%s", name, p.stdout.String(), p.stderr.String())
		}
	}
}

// checkUp: the proxy (or forward-auth) port answers HTTP, and the admin
// API's health check answers 200.
func (p *readmeProcess) checkUp(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	for _, u := range []string{"http://" + p.proxy + "/", "http://" + p.admin + "/healthz"} {
		resp, err := client.Get(u)
		if err != nil {
			t.Errorf("%s: %s does not answer: %v", p.name, u, err)
			continue
		}
		resp.Body.Close()
		if strings.HasSuffix(u, "/healthz") && resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s answered %d, want 200", p.name, u, resp.StatusCode)
		}
	}
}

// stop sends Ctrl-C, as the README says, and expects a clean exit.
func (p *readmeProcess) stop(t *testing.T) {
	t.Helper()
	if p.stopped {
		return
	}
	p.stopped = true
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("%s: exit after Ctrl-C: %v\n%s", p.name, err, p.stderr.String())
		}
	case <-ctx.Done():
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not stop on Ctrl-C", p.name)
	}
}
