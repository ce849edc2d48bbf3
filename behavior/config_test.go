package behavior

import (
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestConfigYAML(t *testing.T) {
	c := DefaultConfig()
	src := `
max_clients: 5000
flood: {max: 80, window: 20s}
burst: {idle: 5m, max: 30, window: 1m}
login:
  classes: [login, admin_login]
  failure_statuses: [401, 403, 200]
enumeration: {sequential: 15}
weights: {endpoint_scan: 0.8, ua_rotation: 0}
ignore_sensitive: [wordpress]
slow_scan: {window: 2h, block_paths: 80}
`
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.MaxClients != 5000 || c.Flood.Window != 20*time.Second || c.Burst.Idle != 5*time.Minute || c.Burst.Max != 30 ||
		len(c.Login.FailureStatuses) != 3 || c.Enumeration.Sequential != 15 || c.Enumeration.Dense != 20 ||
		c.weight(EndpointScan) != 0.8 || c.weight(UARotation) != 0 || c.weight(Flood) != 0.95 ||
		c.SlowScan.Window != 2*time.Hour || c.SlowScan.DistinctPaths != 40 || c.SlowScan.BlockPaths != 80 || c.weight(SlowScan) != 0.7 {
		t.Fatalf("decoded %+v", c)
	}
}
