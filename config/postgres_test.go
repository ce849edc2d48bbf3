package config

import (
	"strings"
	"testing"
)

// store.postgres takes a PostgreSQL connection string, from YAML or
// WARDEN_POSTGRES_DSN; one that does not parse is refused with the field
// named and the password hidden.
func TestStorePostgres(t *testing.T) {
	for _, dsn := range []string{
		"postgres://warden:pw@db.internal:5432/warden?sslmode=require",
		"host=/run/postgresql dbname=warden pool_max_conns=8",
	} {
		cfg, err := Parse([]byte("store: {postgres: '"+dsn+"'}"), nil)
		if err != nil || cfg.Store.Postgres != dsn {
			t.Errorf("Parse(%q) = %q, %v", dsn, cfg.Store.Postgres, err)
		}
	}
	cfg, err := Parse(nil, env(map[string]string{"WARDEN_POSTGRES_DSN": "postgres://h/db"}))
	if err != nil || cfg.Store.Postgres != "postgres://h/db" {
		t.Errorf("WARDEN_POSTGRES_DSN: %q, %v", cfg.Store.Postgres, err)
	}
	for _, bad := range []string{
		"postgres://warden:hunter2secret@db:port/warden",
		"host=db password=hunter2secret sslmode=sometimes",
	} {
		_, err := Parse([]byte("store: {postgres: '"+bad+"'}"), nil)
		if err == nil || !strings.Contains(err.Error(), "store.postgres: not a valid PostgreSQL connection string") ||
			strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Parse(%q) error = %v; want store.postgres named, the password hidden", bad, err)
		}
	}
}
