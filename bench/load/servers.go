package main

import (
	"encoding/json"
	"fmt"
	"github.com/warden-dev/warden/proxy"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime/pprof"
	"time"
)

// addrs are the base URLs of the three servers the harness measures.
type addrs struct {
	Upstream string `json:"upstream"`
	Bare     string `json:"bare"`
	Warden   string `json:"warden"`
}

// servers is a running upstream with both proxies in front of it.
type servers struct {
	addrs
	close func()
	pid   int // the child process serving them; 0 in-process
}

// upstreamHandler is the fast local app: it reads the whole body, as a
// real app would, and answers a small JSON document.
func upstreamHandler() http.Handler {
	answer := []byte(`{"ok":true,"items":[{"id":1,"name":"blue shoes"}]}` + "\n")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{fmt.Sprint(len(answer))}
		_, _ = w.Write(answer)
	})
}

// bareProxy is the peer: an httputil.ReverseProxy with the usual Rewrite
// (SetURL, SetXForwarded) and a transport sized like Warden's, so the
// comparison is about what Warden adds, not about connection pooling.
//
// With pooled set it gets the same copy-buffer pool as Warden's proxy, so
// that the comparison isolates the guard from the garbage ReverseProxy
// makes without one (-peer-pool).
func bareProxy(up *url.URL, pooled bool) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(up)
			pr.SetXForwarded()
		},
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        512,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		},
		// Requests cut off at the end of a closed-loop run would be logged
		// as "proxy error: context canceled"; failures show up as 502s.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	if pooled {
		rp.BufferPool = &proxy.BufferPool{}
	}
	return rp
}

// startServers starts the upstream, the bare proxy and Warden's proxy on
// free loopback ports. configPath, when set, is a Warden YAML config.
func startServers(configPath string, peerPool bool) (*servers, error) {
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	listen := func(h http.Handler) (string, error) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", fmt.Errorf("listen: %w", err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
		go func() { _ = srv.Serve(l) }()
		closers = append(closers, func() { _ = srv.Close() })
		return "http://" + l.Addr().String(), nil
	}
	var s servers
	var err error
	if s.Upstream, err = listen(upstreamHandler()); err != nil {
		return nil, err
	}
	up, _ := url.Parse(s.Upstream)
	if s.Bare, err = listen(bareProxy(up, peerPool)); err != nil {
		closeAll()
		return nil, err
	}
	wp, err := newWardenProxy(up, configPath)
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("warden proxy: %w", err)
	}
	closers = append(closers, wp.close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("listen: %w", err)
	}
	go func() { _ = wp.srv.Serve(l) }()
	closers = append(closers, func() { _ = wp.srv.Close() })
	s.Warden = "http://" + l.Addr().String()
	s.close = closeAll
	return &s, nil
}

// serveChild runs the servers for a parent harness: it writes their
// addresses as one JSON line to out and serves until in is closed.
func serveChild(configPath, cpuprofile string, peerPool bool, in io.Reader, out io.Writer) error {
	s, err := startServers(configPath, peerPool)
	if err != nil {
		return err
	}
	defer s.close()
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if err := json.NewEncoder(out).Encode(s.addrs); err != nil {
		return fmt.Errorf("write addresses: %w", err)
	}
	_, _ = io.Copy(io.Discard, in) // until the parent closes our stdin
	return nil
}
