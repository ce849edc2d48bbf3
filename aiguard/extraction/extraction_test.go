package extraction

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/abuse"
)

// naturalSample draws from a mixture of Gaussian clusters, standing in
// for real inputs of a classifier (each class a cluster).
func naturalSample(rng *rand.Rand, dims int, centers [][]float64) []float32 {
	c := centers[rng.IntN(len(centers))]
	v := make([]float32, dims)
	for i := range v {
		v[i] = float32(c[i] + rng.NormFloat64())
	}
	return v
}

func clusterCenters(rng *rand.Rand, k, dims int) [][]float64 {
	cs := make([][]float64, k)
	for i := range cs {
		cs[i] = make([]float64, dims)
		for j := range cs[i] {
			cs[i][j] = rng.NormFloat64() * 3
		}
	}
	return cs
}

// firstFlag feeds queries until the detector flags the client and returns
// after how many queries (0 when never) and the violation.
func firstFlag(d *Detector, key string, queries [][]float32) (int, string) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, q := range queries {
		v := d.record(key, t0.Add(time.Duration(i)*time.Second), uint64(i), q)
		if v.Violation != "" {
			return i + 1, v.Violation
		}
	}
	return 0, ""
}

func TestExtractionBenignVersusAttacker(t *testing.T) {
	const dims, n = 16, 600
	cfg := DefaultConfig()
	cfg.Dims = dims
	rng := rand.New(rand.NewPCG(7, 9))
	centers := clusterCenters(rng, 10, dims)

	benign := make([][]float32, n)
	for i := range benign {
		benign[i] = naturalSample(rng, dims, centers)
	}

	// Papernot-style Jacobian augmentation: a few natural seeds, then each
	// round adds x + λ·sign(∇) for every sample held (the gradient stands
	// in as a random sign vector per round).
	var attack [][]float32
	for range 10 {
		attack = append(attack, naturalSample(rng, dims, centers))
	}
	for len(attack) < n {
		dir := make([]float32, dims)
		for j := range dir {
			dir[j] = float32(1 - 2*rng.IntN(2))
		}
		cur := len(attack)
		for k := 0; k < cur && len(attack) < n; k++ {
			x := make([]float32, dims)
			for j := range x {
				x[j] = attack[k][j] + 0.3*dir[j]
			}
			attack = append(attack, x)
		}
	}

	// Random-noise synthesis (uniform in a box): another extraction style.
	uniform := make([][]float32, n)
	for i := range uniform {
		uniform[i] = make([]float32, dims)
		for j := range uniform[i] {
			uniform[i][j] = float32(rng.Float64()*20 - 10)
		}
	}

	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bq, bv := firstFlag(d, "ip:benign", benign)
	aq, av := firstFlag(d, "ip:jacobian", attack)
	uq, uv := firstFlag(d, "ip:uniform", uniform)
	t.Logf("benign client: flagged after %d of %d queries (%q); Jacobian-augmentation attacker: after %d (%q); uniform-noise attacker: after %d (%q)", bq, n, bv, aq, av, uq, uv)
	if bq != 0 {
		t.Errorf("benign client flagged after %d queries (%s)", bq, bv)
	}
	if aq == 0 || aq > 200 {
		t.Errorf("attacker flagged after %d queries, want within 200", aq)
	}
}

// jacobianAttack synthesises n queries Papernot-style from 10 natural seeds.
func jacobianAttack(rng *rand.Rand, n, dims int, centers [][]float64) [][]float32 {
	var attack [][]float32
	for range 10 {
		attack = append(attack, naturalSample(rng, dims, centers))
	}
	for len(attack) < n {
		dir := make([]float32, dims)
		for j := range dir {
			dir[j] = float32(1 - 2*rng.IntN(2))
		}
		cur := len(attack)
		for k := 0; k < cur && len(attack) < n; k++ {
			x := make([]float32, dims)
			for j := range x {
				x[j] = attack[k][j] + 0.3*dir[j]
			}
			attack = append(attack, x)
		}
	}
	return attack
}

// TestExtractionManySeeds runs 30 benign clients (2–21 natural classes,
// 1000 queries each) and 30 attackers: no benign client may be flagged,
// every attacker must be.
func TestExtractionManySeeds(t *testing.T) {
	const dims, n, runs = 16, 1000, 30
	var flaggedAt []int
	for seed := uint64(1); seed <= runs; seed++ {
		cfg := DefaultConfig()
		cfg.Dims = dims
		d, err := NewDetector(cfg)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(seed, 9))
		centers := clusterCenters(rng, 2+rng.IntN(20), dims)
		benign := make([][]float32, n)
		for i := range benign {
			benign[i] = naturalSample(rng, dims, centers)
		}
		if q, v := firstFlag(d, "benign", benign); q != 0 {
			t.Errorf("seed %d: benign client flagged after %d queries (%s)", seed, q, v)
		}
		q, _ := firstFlag(d, "attacker", jacobianAttack(rng, n, dims, centers))
		if q == 0 {
			t.Errorf("seed %d: attacker not flagged in %d queries", seed, n)
		}
		flaggedAt = append(flaggedAt, q)
	}
	slices.Sort(flaggedAt)
	t.Logf("%d benign clients × %d queries: none flagged; attackers flagged after %d (min) / %d (median) / %d (max) queries",
		runs, n, flaggedAt[0], flaggedAt[len(flaggedAt)/2], flaggedAt[len(flaggedAt)-1])
}

func TestExtractionRepeatsAndProbing(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Dims = 8
	cfg.Routes = []Route{{Route: "POST /predict", Path: "x"}}
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	req := func(user string, i int, x []float64) abuse.Verdict {
		b, _ := json.Marshal(map[string]any{"x": x})
		return d.Detect(context.Background(), &abuse.Request{Time: t0.Add(time.Duration(i) * time.Second), Client: abuse.Client{User: user},
			Method: "POST", Path: "/predict", Body: b})
	}
	base := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	var v abuse.Verdict
	i := 0
	for ; i < 20 && v.Violation == ""; i++ {
		v = req("rep", i, base)
	}
	if v.Violation != "repeated_input" || i != cfg.MaxRepeats {
		t.Fatalf("after %d identical queries: %+v", i, v)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	v = abuse.Verdict{}
	i = 0
	for ; i < 100 && v.Violation == ""; i++ {
		x := append([]float64(nil), base...)
		x[rng.IntN(8)] += rng.Float64() * 0.05 // evasion search: tiny changes
		v = req("probe", i, x)
	}
	if v.Violation != "adversarial_probing" {
		t.Fatalf("after %d perturbed queries: %+v", i, v)
	}
	t.Logf("repeated input flagged after %d queries, perturbation probing after %d", cfg.MaxRepeats, i)
}

func TestExtractionBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxClients, cfg.Dims = 50, 4
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2000 {
		d.record(fmt.Sprint("ip:", i), t0.Add(time.Duration(i)), uint64(i), []float32{1, 2, 3, float32(i)})
	}
	if d.clients.Len() > 50 {
		t.Fatalf("%d clients kept", d.clients.Len())
	}
	// A million-element input is projected without growing state.
	big := "[" + strings.Repeat("0.5,", 1_000_000) + "1]"
	if vec := d.project([]byte(big)); len(vec) != 4 {
		t.Fatalf("projected to %d dims", len(vec))
	}
}

func ExampleDetector() {
	cfg := DefaultConfig()
	cfg.Routes = []Route{{Route: "POST /v1/predict", Path: "features"}}
	d, _ := NewDetector(cfg)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var v abuse.Verdict
	n := 0
	for v.Violation == "" && n < 100 {
		n++ // the same input, again and again
		v = d.Detect(context.Background(), &abuse.Request{Time: at, Method: "POST", Path: "/v1/predict",
			Client: abuse.Client{User: "7"}, Body: []byte(`{"features":[0.1,0.2,0.3]}`)})
	}
	fmt.Println(n, v.Violation)
	// Output: 8 repeated_input
}
