package report

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/warden-dev/warden/aiguard/budget"
)

// Usage is what a day's AI requests cost in model tokens, read from the
// hourly token rollup (package usage) that the token budget (ai.budget)
// feeds: the routes it covers are the AI routes. Hours are UTC hours,
// counted in the day they start in.
type Usage struct {
	Requests         int64 `json:"requests"`
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	// Estimated counts requests whose answer reported no usage: their
	// prompt tokens are estimated from the request and their completion
	// tokens are not counted.
	Estimated int64 `json:"estimated_requests"`
	// CostUSD is the estimated cost at the configured prices
	// (ai.budget.prices, USD per million tokens); Priced is false when no
	// price is configured. UnpricedTokens are those of models that no
	// price (nor "*") covers, left out of CostUSD.
	CostUSD        float64    `json:"cost_usd"`
	Priced         bool       `json:"priced"`
	UnpricedTokens int64      `json:"unpriced_tokens"`
	Models         []UsageRow `json:"models"`
	Routes         []UsageRow `json:"routes"`
}

// Tokens is the day's prompt and completion tokens together.
func (u *Usage) Tokens() int64 { return u.PromptTokens + u.CompletionTokens }

// UsageRow is one model's or route's usage.
type UsageRow struct {
	Name             string  `json:"name"`
	Requests         int64   `json:"requests"`
	PromptTokens     int64   `json:"prompt_tokens"`
	CompletionTokens int64   `json:"completion_tokens"`
	CostUSD          float64 `json:"cost_usd"`
	// Unpriced is set on a model no configured price covers: its CostUSD
	// is 0 and its tokens are in Usage.UnpricedTokens.
	Unpriced bool `json:"unpriced,omitempty"`
}

// maxUsageRows bounds the route × model rows read for a day, the
// largest first. The rollup bounds its keys per write, not per day, so a
// day of made-up model names can have more: their tokens still count in
// the totals (read apart) and are priced at "*".
const maxUsageRows = 10_000

// hasTable reports whether table exists: the token rollup and the ban
// history are created by their first write.
func (s *Source) hasTable(ctx context.Context, table string) (bool, error) {
	var ok bool
	var err error
	if s.d.dollar {
		err = s.db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&ok)
	} else {
		err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&ok)
	}
	if err != nil {
		return false, fmt.Errorf("report: %s: %w", table, err)
	}
	return ok, nil
}

// usage reads the rollup of [from, to) and prices it.
func (b *Builder) usage(ctx context.Context, from, to time.Time) (*Usage, error) {
	s := b.opts.Source
	u := &Usage{Priced: len(b.opts.Prices) > 0}
	var all UsageRow // the whole day, whatever the row limit leaves out
	err := s.db.QueryRowContext(ctx, s.sql(`SELECT COALESCE(SUM(requests), 0), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0),
		COALESCE(SUM(estimated), 0) FROM `+s.d.usage+` WHERE hour_ns >= ? AND hour_ns < ?`), from.UnixNano(), to.UnixNano()).
		Scan(&all.Requests, &all.PromptTokens, &all.CompletionTokens, &u.Estimated)
	if err != nil {
		return nil, fmt.Errorf("report: token usage: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, s.sql(`SELECT route, model, SUM(requests), SUM(prompt_tokens), SUM(completion_tokens)
		FROM `+s.d.usage+` WHERE hour_ns >= ? AND hour_ns < ? GROUP BY 1, 2
		ORDER BY SUM(prompt_tokens) + SUM(completion_tokens) DESC, 1, 2 LIMIT ?`), from.UnixNano(), to.UnixNano(), maxUsageRows)
	if err != nil {
		return nil, fmt.Errorf("report: token usage: %w", err)
	}
	models, routes := map[string]*UsageRow{}, map[string]*UsageRow{}
	addTo := func(m map[string]*UsageRow, name string, x UsageRow) {
		r := m[name]
		if r == nil {
			r = &UsageRow{Name: name}
			m[name] = r
		}
		r.Requests += x.Requests
		r.PromptTokens += x.PromptTokens
		r.CompletionTokens += x.CompletionTokens
		r.CostUSD += x.CostUSD
		r.Unpriced = r.Unpriced || x.Unpriced
	}
	err = scanEach(rows, func(sc func(...any) error) error {
		var route, model string
		var x UsageRow
		if err := sc(&route, &model, &x.Requests, &x.PromptTokens, &x.CompletionTokens); err != nil {
			return err
		}
		route, model = clean(route), clean(model)
		b.addCost(u, model, &x)
		u.Requests += x.Requests
		u.PromptTokens += x.PromptTokens
		u.CompletionTokens += x.CompletionTokens
		if model == "" {
			model = "(none)"
		}
		if route == "" {
			route = NoRoute
		}
		addTo(models, model, x)
		x.Unpriced = false // a route mixes models: its cost is what was priced
		addTo(routes, route, x)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report: token usage: %w", err)
	}
	if rest := (UsageRow{Requests: all.Requests - u.Requests, PromptTokens: all.PromptTokens - u.PromptTokens,
		CompletionTokens: all.CompletionTokens - u.CompletionTokens}); rest.Requests > 0 {
		b.addCost(u, otherModels, &rest)
		addTo(models, otherModels, rest)
		addTo(routes, otherModels, rest)
		u.Requests, u.PromptTokens, u.CompletionTokens = all.Requests, all.PromptTokens, all.CompletionTokens
	}
	top := b.opts.Config.Top
	u.Models, u.Routes = topUsage(models, top), topUsage(routes, top)
	u.CostUSD = roundCost(u.CostUSD)
	return u, nil
}

// otherModels names the rows past maxUsageRows.
const otherModels = "(other)"

// addCost prices x at model's price and adds it to u's cost, or its
// tokens to u's unpriced ones.
func (b *Builder) addCost(u *Usage, model string, x *UsageRow) {
	p, ok := b.price(model)
	if !ok {
		u.UnpricedTokens += x.PromptTokens + x.CompletionTokens
		x.Unpriced = u.Priced // without any price, no row is singled out
		return
	}
	x.CostUSD = (float64(x.PromptTokens)*p.Input + float64(x.CompletionTokens)*p.Output) / 1e6
	u.CostUSD += x.CostUSD
}

// price is model's price, else the "*" price.
func (b *Builder) price(model string) (budget.Price, bool) {
	if p, ok := b.opts.Prices[model]; ok {
		return p, true
	}
	p, ok := b.opts.Prices["*"]
	return p, ok
}

// roundCost keeps a hundredth of a cent: enough for a small day, and a
// number the summary can repeat exactly.
func roundCost(c float64) float64 { return math.Round(c*1e4) / 1e4 }

func topUsage(m map[string]*UsageRow, n int) []UsageRow {
	out := make([]UsageRow, 0, len(m))
	for _, r := range m {
		r.CostUSD = roundCost(r.CostUSD)
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b UsageRow) int {
		ta, tb := a.PromptTokens+a.CompletionTokens, b.PromptTokens+b.CompletionTokens
		if ta != tb {
			if ta > tb {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out[:min(len(out), n)]
}

// usageDays fills the day's and the day before's tokens and cost, and
// says in the notes what they do not cover.
func (b *Builder) usageDays(ctx context.Context, r *Report, prevFrom time.Time) error {
	ok, err := b.opts.Source.hasTable(ctx, b.opts.Source.d.usage)
	if err != nil {
		return err
	}
	if !ok {
		r.Notes = append(r.Notes, "no token usage recorded yet: tokens and estimated cost come from AI requests the token budget (ai.budget) covers")
		return nil
	}
	if r.Usage, err = b.usage(ctx, r.From, r.To); err != nil {
		return err
	}
	before, err := b.usage(ctx, prevFrom, r.From)
	if err != nil {
		return err
	}
	r.Today.Tokens, r.Today.CostUSD = r.Usage.Tokens(), r.Usage.CostUSD
	r.Yesterday.Tokens, r.Yesterday.CostUSD = before.Tokens(), before.CostUSD
	switch {
	case !r.Usage.Priced:
		r.Notes = append(r.Notes, "no prices configured (ai.budget.prices): estimated cost is not reported")
	case r.Usage.UnpricedTokens > 0:
		r.Notes = append(r.Notes, fmt.Sprintf("%s tokens are of models with no configured price (ai.budget.prices) and not in the estimated cost", num(r.Usage.UnpricedTokens)))
	}
	if r.Usage.Estimated > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("AI requests whose answer had no usage object: %s; their prompt tokens are estimated (bytes / 4), their completion tokens not counted", num(r.Usage.Estimated)))
	}
	return nil
}

// rowCost writes a model's cost, or that it has no price.
func rowCost(x UsageRow) string {
	if x.Unpriced {
		return "no price"
	}
	return usd(x.CostUSD)
}

// usd writes a cost: cents from one dollar up, hundredths of a cent
// below, where cents would round a small day away.
func usd(c float64) string {
	if c != 0 && math.Abs(c) < 1 {
		return fmt.Sprintf("$%.4f", c)
	}
	return fmt.Sprintf("$%.2f", c)
}

// changeTextF is changeText for costs.
func changeTextF(today, before float64) string {
	if before == 0 {
		if today == 0 {
			return "="
		}
		return "new"
	}
	return signed(round1((today-before)*100/before)) + "%"
}
