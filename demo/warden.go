package demo

import (
	"github.com/warden-dev/warden/aiguard/extraction"
	"github.com/warden-dev/warden/aiguard/input"
	"github.com/warden-dev/warden/config"
)

// predictRoute is the app's model-inference route and where its input is.
const (
	predictRoute = "POST /api/models/predict"
	predictInput = "inputs"
)

// WardenConfig returns the configuration `warden demo` runs Warden with in
// front of [App] at upstream: Warden's defaults, plus
//
//   - 127.0.0.1 and ::1 as trusted proxies: the generator sends each
//     actor's address as X-Forwarded-For from there;
//   - user ids from the app's tokens (HS256 with [TokenKey], claim "sub");
//   - the app's inference route described to the AI protections: numeric
//     input under "inputs", values within ±10, at most 4,096 of them, and
//     watched for model extraction;
//   - the decision log off stderr (the demo prints a live summary instead);
//   - dataDir for state.
func WardenConfig(upstream, dataDir string) config.Config {
	cfg := config.Default()
	cfg.Upstream = upstream
	cfg.DataDir = dataDir
	cfg.TrustedProxies = []string{"127.0.0.1/32", "::1/128"}
	cfg.Identity.JWT.HS256Key = TokenKey
	cfg.Identity.JWT.Claim = "sub"
	lo, hi := -10.0, 10.0
	cfg.AI.Input.Routes = append(cfg.AI.Input.Routes, input.Route{
		Route: predictRoute, Path: predictInput, Required: true, MaxElements: 4096, Min: &lo, Max: &hi})
	cfg.AI.Extraction.Routes = append(cfg.AI.Extraction.Routes, extraction.Route{Route: predictRoute, Path: predictInput})
	cfg.Log.Stderr = false
	return cfg
}
