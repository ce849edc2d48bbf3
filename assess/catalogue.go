package assess

import (
	_ "embed"
	"fmt"

	"go.yaml.in/yaml/v3"
)

//go:embed catalogue.yaml
var catalogueYAML []byte

// Edition is one published list of threats (OWASP LLM 2025, ...).
type Edition struct {
	ID      string   `yaml:"id" json:"id"`
	Name    string   `yaml:"name" json:"name"`
	URL     string   `yaml:"url" json:"url"`
	Threats []Threat `yaml:"threats" json:"-"`
}

// Threat is one entry of an edition and how Warden's controls bear on it.
type Threat struct {
	ID         string `yaml:"id"`
	Name       string `yaml:"name"`
	Likelihood int    `yaml:"likelihood"` // 1..5
	Impact     int    `yaml:"impact"`     // 1..5
	// Controls maps control ids to the share of the risk each removes
	// at full level.
	Controls map[string]float64 `yaml:"controls"`
	Scope    string             `yaml:"scope"` // "out": a front door cannot address it
	Note     string             `yaml:"note"`
}

// Catalogue returns the embedded threat catalogue, checked.
func Catalogue() ([]Edition, error) {
	var doc struct {
		Editions []Edition `yaml:"editions"`
	}
	if err := yaml.Unmarshal(catalogueYAML, &doc); err != nil {
		return nil, fmt.Errorf("threat catalogue: %w", err)
	}
	for _, e := range doc.Editions {
		for _, t := range e.Threats {
			if err := t.check(); err != nil {
				return nil, fmt.Errorf("threat catalogue: %s %s: %w", e.ID, t.ID, err)
			}
		}
	}
	return doc.Editions, nil
}

func (t Threat) check() error {
	if t.Scope == "out" {
		if t.Note == "" {
			return fmt.Errorf("out of scope without a note")
		}
		return nil
	}
	if t.Likelihood < 1 || t.Likelihood > 5 || t.Impact < 1 || t.Impact > 5 {
		return fmt.Errorf("likelihood and impact must be 1..5")
	}
	for id, s := range t.Controls {
		if s <= 0 || s >= 1 {
			return fmt.Errorf("controls.%s: share must be in (0, 1)", id)
		}
	}
	return nil
}
