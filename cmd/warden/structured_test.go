package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// TestServeBlocksWhereStructuredValuesExecute sends, through `warden
// serve` with its default configuration, attacks in structured values
// (ids, fetched URLs, path segments, names, headers) that used to be only
// logged or missed, and their look-alikes from ordinary use, which must
// reach the app. Each request comes from its own address through a
// trusted proxy, so no ban from one case decides another.
func TestServeBlocksWhereStructuredValuesExecute(t *testing.T) {
	var hits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "app")
	}))
	defer up.Close()
	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	if err := os.WriteFile(cfg, []byte("trusted_proxies: [127.0.0.1/32]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", cfg, "--upstream", up.URL, "--data", t.TempDir())

	pass := []contextCase{
		{name: "installer database host", method: "POST", target: "/wp-admin/setup-config.php?step=2", ct: "application/x-www-form-urlencoded", body: "dbname=wp&uname=wp&dbhost=localhost&prefix=wp_"},
		{name: "oauth redirect to a local app", method: "GET", target: "/authorize?client_id=cli&redirect_url=" + url.QueryEscape("localhost:3000/home")},
		{name: "wiki page slug", method: "GET", target: "/wiki/OR_gate"},
		{name: "note with a parenthesis", method: "GET", target: "/notes?note=" + url.QueryEscape("(draft) as seen from space")},
		{name: "name with a conjunction", method: "GET", target: "/api/companies?name=" + url.QueryEscape("O'Brien and Sons")},
		{name: "plain call name", method: "GET", target: "/api/jobs?action=" + url.QueryEscape("refresh()")},
	}
	block := []contextCase{
		{name: "bare loopback host in a fetched field", method: "POST", target: "/api/preview", ct: "application/json", body: `{"image_url":"localhost/admin"}`},
		{name: "leading conjunction in an id", method: "GET", target: "/api/items?id=" + url.QueryEscape("AND 4410=4411)")},
		{name: "pair hidden in a form name", method: "POST", target: "/api/orders", ct: "application/x-www-form-urlencoded", body: "pay%3DAND+4410%3D4411%29"},
		{name: "select list alias", method: "GET", target: "/report?col=" + url.QueryEscape(") AS total FROM")},
		{name: "json condition in a path segment", method: "GET", target: "/api/items/OR%20%27%5B1%5D%27%20%3F%20%271%27"},
		{name: "system path as referer", method: "GET", target: "/", header: map[string]string{"Referer": "/var/lib/dpkg/status"}},
		{name: "empty library call", method: "GET", target: "/api/x?v=" + url.QueryEscape("iconv_strlen()")},
	}
	checkPassBlock(t, s.proxy, &hits, "198.51.100.", pass, block)
}
