package redis

import (
	"context"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/warden-dev/warden/internal/syncbuf"
	"github.com/warden-dev/warden/internal/testbin"
)

// server is a redis-server process the test owns, on a free port.
type server struct {
	t    testing.TB
	bin  string // path of redis-server
	port int
	cmd  *exec.Cmd
}

// startRedis starts redis-server without persistence. It skips the test
// when redis-server is not installed, unless CI=true.
func startRedis(t testing.TB) *server {
	t.Helper()
	bin := testbin.Find(t, "redis-server", "redis-server")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, bin: bin, port: l.Addr().(*net.TCPAddr).Port}
	l.Close()
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	c := goredis.NewClient(&goredis.Options{Addr: s.addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			s.t.Fatal("redis-server did not answer within 10s")
		}
		time.Sleep(10 * time.Millisecond) // polling readiness, not timing a result
	}
}

func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// counter is a go-redis hook that counts round trips: the writes on the
// client's connections (go-redis writes one command, or one whole
// pipeline, in a single flush and then reads the answers). It also counts
// commands; hooks alone cannot count round trips, as go-redis runs the
// pipeline hook more than once for one pipeline.
type counter struct{ writes, cmds atomic.Int64 }

func (c *counter) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{conn, c}, nil
	}
}

func (c *counter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		c.cmds.Add(1)
		return next(ctx, cmd)
	}
}

func (c *counter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

func (c *counter) roundTrips() int64 { return c.writes.Load() }

type countingConn struct {
	net.Conn
	c *counter
}

func (cc countingConn) Write(p []byte) (int, error) {
	cc.c.writes.Add(1)
	return cc.Conn.Write(p)
}

type instance struct {
	store  *Store
	count  *counter
	client *goredis.Client
	logs   *syncbuf.Buffer
}

// newInstance returns a Store on srv with its own client, as another
// Warden process would have.
func newInstance(t testing.TB, srv *server, retry time.Duration) *instance {
	t.Helper()
	in := &instance{count: &counter{}, logs: &syncbuf.Buffer{}}
	in.client = goredis.NewClient(&goredis.Options{Addr: srv.addr(), MaxRetries: 1,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { in.client.Close() })
	in.client.AddHook(in.count)
	cfg := DefaultConfig()
	cfg.RetryAfter = retry
	s, err := New(context.Background(), cfg, Options{Client: in.client,
		Logger: slog.New(slog.NewTextHandler(in.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.settle = 20 * time.Millisecond // so that a test sees the recovery logged at once
	in.store = s
	// go-redis sends a one-time command before a client's first pipeline;
	// get it out of the way so tests count steady-state round trips.
	p := in.client.Pipeline()
	p.Ping(context.Background())
	if _, err := p.Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return in
}
