package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/warden-dev/warden/config"
)

// withEnvFile returns e reading the variables of the .env file at path
// under the process environment (which wins, as with dotenv), and the
// file's variables. An empty path changes nothing.
func withEnvFile(e env, path string) (env, map[string]string, error) {
	if path == "" {
		return e, nil, nil
	}
	file, err := config.ReadEnvFile(path)
	if err != nil {
		return e, nil, err
	}
	e.lookup = config.WithEnvFile(e.lookup, file)
	return e, file, nil
}

// reportEnv prints on stderr which variables the configuration applied,
// from the environment and the .env files (--env-file, then env_file:),
// and warns about those that look meant for Warden but are not read.
func reportEnv(e env, cfg config.Config, flagFile map[string]string) {
	lookup := e.lookup
	var names []string
	for k := range flagFile {
		names = append(names, k)
	}
	if cfg.EnvFile != "" {
		if file, err := config.ReadEnvFile(cfg.EnvFile); err == nil {
			lookup = config.WithEnvFile(lookup, file)
			for k := range file {
				names = append(names, k)
			}
		}
	}
	for _, kv := range os.Environ() {
		if k, _, ok := strings.Cut(kv, "="); ok {
			names = append(names, k)
		}
	}
	applied, warnings := config.EnvReport(lookup, names)
	if len(applied) > 0 {
		fmt.Fprintf(e.stderr, "env: applied %s\n", strings.Join(applied, ", "))
	}
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "env: warning: %s\n", w)
	}
}
