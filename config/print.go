package config

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/warden-dev/warden/internal/redact"
)

// secretKey matches the config keys whose values are credentials.
// (Slack and webhook URLs carry their secret in the path.)
var secretKey = regexp.MustCompile(`^(token|[a-z0-9]+_key|api_key|password|passwd|secret|client_secret|dsn|postgres|redis|url|webhook_url)$`)

// Explain loads the file at path as Load does and returns the effective
// configuration as YAML, every key given (defaults, file and environment
// merged), with where each value came from as a comment and the values
// of credential keys, and the password of any URL, replaced by
// redact.Mark: what `warden check-config --print` shows.
func Explain(path string, lookup func(string) (string, bool)) ([]byte, error) {
	cfg, err := Load(path, lookup)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("config is not valid YAML: %w", err)
	}
	if cfg.EnvFile != "" {
		file, err := ReadEnvFile(cfg.EnvFile)
		if err != nil {
			return nil, err
		}
		lookup = WithEnvFile(lookup, file)
	}
	return cfg.effectiveSources(&root, lookup)
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

// effectiveSources encodes c with each value's source as a comment:
// "file" (in root), "env NAME" (Warden's variable for the field), "env"
// (changed by the environment otherwise: a LibreChat variable), or
// nothing for a default.
func (c *Config) effectiveSources(root *yaml.Node, lookup func(string) (string, bool)) ([]byte, error) {
	var n, def yaml.Node
	d := Default()
	if err := n.Encode(c); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	if err := def.Encode(&d); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	defaults := map[string]string{}
	leaves(&def, "", func(path string, _, v *yaml.Node) { defaults[path] = flat(v) })
	leaves(&n, "", func(path string, k, v *yaml.Node) {
		switch {
		case nodeAt(root, path) != nil:
			k.LineComment = "file"
		case lookup != nil && path != "env_file" && found(lookup, EnvName(path)):
			k.LineComment = "env " + EnvName(path)
		case defaults[path] != flat(v):
			k.LineComment = "env"
		}
	})
	maskNode(&n, "")
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return b.Bytes(), enc.Close()
}

func found(lookup func(string) (string, bool), name string) bool {
	_, ok := lookup(name)
	return ok
}

// leaves calls fn for each mapping entry whose value is not a mapping of
// fields (a scalar, a list, or a mapping of names such as routes), with
// its field path, key and value nodes.
func leaves(n *yaml.Node, path string, fn func(path string, k, v *yaml.Node)) {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := join(path, k.Value)
		if v.Kind == yaml.MappingNode && len(v.Content) > 0 {
			leaves(v, p, fn)
			continue
		}
		fn(p, k, v)
	}
}

// flat is a node's value as one string, to compare with the default's.
func flat(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	var b strings.Builder
	for _, c := range n.Content {
		b.WriteString(flat(c))
		b.WriteByte('\x00')
	}
	return b.String()
}
