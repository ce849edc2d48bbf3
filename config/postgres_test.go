package config

import (
	"testing"
)

// store.postgres takes a PostgreSQL connection string, from YAML or
// WARDEN_POSTGRES_DSN. Parsing it needs the driver, so server.CheckStores
// refuses one that does not parse (see server's tests).
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
}
