// Package config holds Warden's configuration: the schema (one struct that
// maps 1:1 onto the YAML file), defaults, strict YAML loading whose errors
// name the field path, the environment overlay (WARDEN_* variables and
// LibreChat's names), and validation.
//
// Loading follows the phases Warden uses everywhere: strict decode →
// environment overlay → Validate, all before anything is opened. A Config
// that passed Validate is safe to hand to warden.New; server.CheckStores
// adds the checks that need a store's driver (store.postgres).
package config
