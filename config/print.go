package config

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"

	"go.yaml.in/yaml/v3"

	"github.com/warden-dev/warden/internal/redact"
)

// secretKey matches the config keys whose values are credentials.
// (Slack and webhook URLs carry their secret in the path.)
var secretKey = regexp.MustCompile(`^(token|[a-z0-9]+_key|api_key|password|passwd|secret|client_secret|dsn|postgres|redis|url|webhook_url)$`)

// Effective returns c as YAML, every key given (defaults, file and
// environment merged), with the values of credential keys, and the
// password of any URL, replaced by redact.Mark: what `warden
// check-config --print` shows.
func (c *Config) Effective() ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(c); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	maskNode(&n, "")
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return b.Bytes(), enc.Close()
}

func maskNode(n *yaml.Node, key string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			maskNode(n.Content[i+1], n.Content[i].Value)
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			maskNode(c, key)
		}
	case yaml.ScalarNode:
		if n.Value == "" || n.Tag == "!!bool" || n.Tag == "!!int" || n.Tag == "!!float" {
			return
		}
		if secretKey.MatchString(key) {
			n.Value, n.Style = redact.Mark, 0
			return
		}
		if u, err := url.Parse(n.Value); err == nil && u.User != nil {
			n.Value = u.Redacted()
		}
	}
}
