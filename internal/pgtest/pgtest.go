package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warden-dev/warden/internal/testbin"
)

// ErrNotInstalled is returned by Start when the PostgreSQL server binaries
// are not found.
var ErrNotInstalled = errors.New("pgtest: PostgreSQL server binaries (initdb, postgres) not found; apt-get install postgresql to run this test")

// startTimeout bounds how long a starting server may take to answer.
const startTimeout = 30 * time.Second

// Server is a PostgreSQL cluster owned by the test process. Its superuser
// is "postgres", trusted without a password on 127.0.0.1 only.
type Server struct {
	bin   string   // directory holding initdb and postgres
	root  string   // temporary directory: data/, sock/, postgres.log
	port  int      //
	runAs *account // nil: run as this process's user

	mu   sync.Mutex // guards cmd and done
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited

	dbs atomic.Int64 // databases made by NewDatabase, for their names
}

// account is the unprivileged user the server runs as when the tests run
// as root.
type account struct {
	name     string
	uid, gid uint32
}

// Start creates a cluster in a new temporary directory and starts it on a
// free loopback port. It returns an error matching ErrNotInstalled when
// the binaries are missing. Close stops it and removes the directory.
func Start() (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	if os.Geteuid() == 0 {
		if s.runAs, err = unprivileged(); err != nil {
			return nil, err
		}
	}
	if s.root, err = os.MkdirTemp(tempParent(s.runAs != nil), "wardenpg-"); err != nil {
		return nil, fmt.Errorf("pgtest: temp dir: %w", err)
	}
	if err := s.create(); err != nil {
		os.RemoveAll(s.root)
		return nil, err
	}
	if err := s.Restart(); err != nil {
		os.RemoveAll(s.root)
		return nil, err
	}
	return s, nil
}

// create runs initdb and picks the port.
func (s *Server) create() error {
	sock := filepath.Join(s.root, "sock")
	if err := os.Mkdir(sock, 0o700); err != nil {
		return fmt.Errorf("pgtest: socket dir: %w", err)
	}
	if s.runAs != nil {
		for _, p := range []string{s.root, sock} {
			if err := os.Chown(p, int(s.runAs.uid), int(s.runAs.gid)); err != nil {
				return fmt.Errorf("pgtest: hand %s to %s: %w", p, s.runAs.name, err)
			}
		}
	}
	cmd := s.command("initdb", "-D", filepath.Join(s.root, "data"), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, bytes.TrimSpace(out))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("pgtest: free port: %w", err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	return nil
}

// command returns a command for one of the server binaries, run as the
// unprivileged account when there is one.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.root
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	cmd.SysProcAttr = sysProcAttr(s.runAs)
	return cmd
}

// Restart starts the server again after Stop, on the same port and data;
// Start calls it for the first start. It returns once the server accepts
// connections.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("pgtest: server is already running")
	}
	logPath := filepath.Join(s.root, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgtest: log file: %w", err)
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := s.command("postgres", "-D", filepath.Join(s.root, "data"), "-p", strconv.Itoa(s.port),
		"-k", filepath.Join(s.root, "sock"), "-c", "listen_addresses=127.0.0.1",
		// Throwaway data: durability costs time and buys nothing.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done

	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgconn.Connect(ctx, s.DSN())
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case <-done:
			s.cmd, s.done = nil, nil
			return fmt.Errorf("pgtest: postgres exited at start:\n%s", s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			s.stopLocked()
			return fmt.Errorf("pgtest: postgres did not accept connections within %s: %w\n%s", startTimeout, err, s.logTail())
		}
		time.Sleep(20 * time.Millisecond) // polling readiness, not timing a result
	}
}

// Stop shuts the server down (fast shutdown: clients are disconnected)
// and keeps its data for Restart. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *Server) stopLocked() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(startTimeout):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd, s.done = nil, nil
}

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	s.Stop()
	return os.RemoveAll(s.root)
}

// Port is the TCP port the server listens on, on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// DSN is the connection string of the "postgres" database as superuser.
func (s *Server) DSN() string { return s.dbDSN("postgres") }

func (s *Server) dbDSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// NewDatabase creates an empty database for one test and returns its
// connection string, so tests sharing a server do not see each other's
// tables.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := "t" + strconv.FormatInt(s.dbs.Add(1), 10)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	conn, err := pgconn.Connect(ctx, s.DSN())
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(context.Background())
	// FILE_COPY: the template is tiny, and copying its files is quicker
	// than writing it through the WAL (the default since PostgreSQL 15).
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" STRATEGY FILE_COPY").ReadAll(); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return s.dbDSN(name)
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.root, "postgres.log"))
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(bytes.TrimSpace(b))
}

// Shared is one server for all the tests of a package, started by the
// first test that asks for it. Declare one in the package's tests and
// Close it from TestMain after m.Run.
type Shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Server returns the shared server, starting it on first use. It skips
// the test when the binaries are missing (fails it when CI=true) and
// fails it when the server could not start.
func (sh *Shared) Server(t testing.TB) *Server {
	t.Helper()
	sh.once.Do(func() { sh.srv, sh.err = Start() })
	check(t, sh.err)
	return sh.srv
}

// Close stops and removes the shared server, if one was started.
func (sh *Shared) Close() {
	if sh.srv != nil {
		sh.srv.Close()
	}
}

// New starts a server for one test and closes it when the test ends,
// skipping or failing as Shared.Server does.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := Start()
	check(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// check ends t when the server did not start: missing binaries skip it
// (fail it when CI=true), any other error fails it.
func check(t testing.TB, err error) {
	t.Helper()
	switch {
	case errors.Is(err, ErrNotInstalled):
		testbin.Missing(t, err.Error())
	case err != nil:
		t.Fatal(err)
	}
}

// findBin returns the directory holding initdb and postgres: the one
// initdb on PATH resolves to, else the newest /usr/lib/postgresql/N/bin
// (Debian keeps the server binaries off PATH).
func findBin() (string, error) {
	var dirs []string
	if p, err := exec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(r))
		}
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	major := func(dir string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
		return n
	}
	slices.SortFunc(versions, func(a, b string) int { return major(b) - major(a) })
	dirs = append(dirs, versions...)
	for _, d := range dirs {
		if executable(filepath.Join(d, "initdb")) && executable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", ErrNotInstalled
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// unprivileged returns the account to run the server as under root:
// "postgres" (created by Debian's package), else "nobody".
func unprivileged() (*account, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &account{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
	}
	return nil, errors.New("pgtest: running as root and neither a postgres nor a nobody user exists to run the server as")
}

// tempParent returns where to create the cluster's directory. An
// unprivileged server must be able to reach it, so when the usual temp
// dir sits under a directory others cannot enter (TMPDIR=/root/tmp),
// /tmp is used instead.
func tempParent(unprivileged bool) string {
	dir := os.TempDir()
	if !unprivileged {
		return dir
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return dir
		}
	}
}

// String describes the server for test logs.
func (s *Server) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "postgres on 127.0.0.1:%d in %s", s.port, s.root)
	if s.runAs != nil {
		fmt.Fprintf(&b, " as %s", s.runAs.name)
	}
	return b.String()
}
