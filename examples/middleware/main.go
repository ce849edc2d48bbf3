// Command middleware is the smallest program that protects a net/http app
// with Warden: the library alone, state in memory, no driver linked. Its
// binary size is the figure in docs/performance.md ("Library size").
package main

import (
	"log"
	"net/http"

	"github.com/warden-dev/warden"
	"github.com/warden-dev/warden/config"
)

func main() {
	g, err := warden.New(config.Default())
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello\n")) })
	log.Fatal(http.ListenAndServe("127.0.0.1:8081", g.Handler(mux)))
}
