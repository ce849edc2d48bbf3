package promptmodel

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Example is one labelled training text.
type Example struct {
	Text   string
	Attack bool    // a prompt injection or jailbreak
	Weight float64 // the example's weight in the loss; 0 means 1
	// Group names the example's source. The calibration folds keep a
	// group whole, so the probabilities are fitted on scores for sources
	// the fold's model never saw, as in use.
	Group string
}

// Options tune Train. Zero fields take the defaults.
type Options struct {
	Bits      uint8   // log2 of the number of feature buckets (default 17: 128 KB of weights)
	Epochs    int     // passes over the examples (default 4)
	LearnRate float64 // AdaGrad step (default 0.2)
	L2        float64 // weight decay per step (default 1e-3)
	Folds     int     // folds for the calibration fit (default 3)
	Seed      uint64  // shuffle seed (default 1)
}

func (o Options) withDefaults() Options {
	if o.Bits == 0 {
		o.Bits = 17
	}
	if o.Epochs == 0 {
		o.Epochs = 4
	}
	if o.LearnRate == 0 {
		o.LearnRate = 0.2
	}
	if o.L2 == 0 {
		// Strong for a linear model on 17 bits: weaker decay lets it
		// memorise each source's wording, which held-out sources do
		// not share (prompteval's leave-one-source-out table, where
		// 1e-3 beat 5e-4 and 2.5e-4 on the pooled figures).
		o.L2 = 1e-3
	}
	if o.Folds == 0 {
		o.Folds = 3
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// sample is an example's features: bucket indexes with their values
// (count / sqrt(number of features), as Score weighs them).
type sample struct {
	idx    []uint32
	val    []float64
	y      float64
	weight float64
}

// Train fits a model to examples. The result depends only on the examples
// (as a set) and opts: they are sorted first and shuffled with a fixed
// seed, so the weights written are the same byte for byte on each run.
//
// The calibration (Platt scaling) is fitted on out-of-fold scores: the
// model is trained opts.Folds times on all but one fold and scores that
// fold, then once more on everything.
func Train(examples []Example, opts Options) *Model {
	opts = opts.withDefaults()
	ex := slices.Clone(examples)
	slices.SortFunc(ex, func(a, b Example) int {
		if c := strings.Compare(a.Text, b.Text); c != 0 {
			return c
		}
		if c := strings.Compare(a.Group, b.Group); c != 0 {
			return c
		}
		if a.Attack != b.Attack {
			if a.Attack {
				return 1
			}
			return -1
		}
		switch {
		case a.Weight < b.Weight:
			return -1
		case a.Weight > b.Weight:
			return 1
		}
		return 0
	})
	samples := make([]sample, len(ex))
	var buf []uint32
	for i, e := range ex {
		buf = appendFeatures(buf[:0], e.Text, opts.Bits)
		samples[i] = newSample(buf, e)
	}
	fold := folds(ex, opts.Folds)
	var zs, ys, ws []float64
	if opts.Folds > 1 && len(samples) >= 2*opts.Folds {
		for k := range opts.Folds {
			var train, test []sample
			for i, s := range samples {
				if fold[i] == k {
					test = append(test, s)
				} else {
					train = append(train, s)
				}
			}
			m := fit(train, opts, uint64(k+1))
			for _, s := range test {
				zs = append(zs, m.rawSample(s))
				ys = append(ys, s.y)
				// Unweighted: the probabilities keep the base rate of
				// the examples, not the balanced classes of training.
				ws = append(ws, 1)
			}
		}
	}
	m := fit(samples, opts, 0)
	m.calA, m.calB = 1, 0
	if len(zs) > 0 {
		a, b := platt(zs, ys, ws)
		m.calA, m.calB = float32(a), float32(b)
	}
	return m
}

// folds assigns each example a calibration fold: by group when the
// examples have groups (the groups in name order, dealt round), else by
// position.
func folds(ex []Example, k int) []int {
	names := map[string]int{}
	for _, e := range ex {
		names[e.Group] = 0
	}
	out := make([]int, len(ex))
	if len(names) < 2*max(k, 1) {
		for i := range out {
			out[i] = i % max(k, 1)
		}
		return out
	}
	sorted := make([]string, 0, len(names))
	for g := range names {
		sorted = append(sorted, g)
	}
	slices.Sort(sorted)
	for i, g := range sorted {
		names[g] = i % k
	}
	for i, e := range ex {
		out[i] = names[e.Group]
	}
	return out
}

func newSample(feats []uint32, e Example) sample {
	sorted := slices.Clone(feats)
	slices.Sort(sorted)
	inv := 1 / math.Sqrt(float64(max(len(feats), 1)))
	s := sample{weight: e.Weight}
	if s.weight == 0 {
		s.weight = 1
	}
	if e.Attack {
		s.y = 1
	}
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		s.idx = append(s.idx, sorted[i])
		s.val = append(s.val, float64(j-i)*inv)
		i = j
	}
	return s
}

// fit trains the weights by AdaGrad on the weighted logistic loss and
// returns them quantised. fold varies the shuffle between the
// calibration folds.
func fit(samples []sample, opts Options, fold uint64) *Model {
	n := 1 << opts.Bits
	w := make([]float64, n)
	g2 := make([]float64, n)
	var b, gb2 float64
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(opts.Seed, fold))
	const eps = 1e-8
	for range opts.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, k := range order {
			s := &samples[k]
			z := b
			for j, i := range s.idx {
				z += w[i] * s.val[j]
			}
			g := (sigmoid(z) - s.y) * s.weight
			for j, i := range s.idx {
				gi := g*s.val[j] + opts.L2*w[i]
				g2[i] += gi * gi
				w[i] -= opts.LearnRate * gi / math.Sqrt(g2[i]+eps)
			}
			gb2 += g * g
			b -= opts.LearnRate * g / math.Sqrt(gb2+eps)
		}
	}
	return quantise(w, b, opts.Bits)
}

// quantise maps the weights to int8 with one scale, the largest weight
// to ±127.
func quantise(w []float64, b float64, bits uint8) *Model {
	var hi float64
	for _, v := range w {
		hi = max(hi, math.Abs(v))
	}
	m := &Model{bits: bits, w: make([]int8, len(w)), bias: float32(b), calA: 1}
	if hi == 0 {
		return m
	}
	scale := hi / 127
	m.scale = float32(scale)
	for i, v := range w {
		m.w[i] = int8(math.Round(v / scale))
	}
	return m
}

// rawSample is raw for a sample already extracted.
func (m *Model) rawSample(s sample) float64 {
	var sum float64
	for j, i := range s.idx {
		sum += float64(m.w[i]) * s.val[j]
	}
	return float64(m.bias) + float64(m.scale)*sum
}

// platt fits p = sigmoid(a*z + b) to the labels by Newton's method on the
// weighted log loss, with a backtracking line search (the scores of a
// strong fold model are nearly separable, where a full Newton step
// overshoots).
func platt(zs, ys, ws []float64) (a, b float64) {
	loss := func(a, b float64) float64 {
		var l float64
		for i, z := range zs {
			t := a*z + b
			// log(1+e^-t) for a label of 1, log(1+e^t) for 0, stably
			if ys[i] == 0 {
				t = -t
			}
			l += ws[i] * (math.Max(-t, 0) + math.Log1p(math.Exp(-math.Abs(t))))
		}
		return l
	}
	a, b = 1, 0
	cur := loss(a, b)
	for range 100 {
		var ga, gb, haa, hab, hbb float64
		for i, z := range zs {
			p := sigmoid(a*z + b)
			d := (p - ys[i]) * ws[i]
			h := p*(1-p)*ws[i] + 1e-12
			ga += d * z
			gb += d
			haa += h * z * z
			hab += h * z
			hbb += h
		}
		det := haa*hbb - hab*hab
		if det <= 0 {
			break
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		step := 1.0
		for ; step > 1e-6; step /= 2 {
			if l := loss(a-step*da, b-step*db); l < cur {
				a, b, cur = a-step*da, b-step*db, l
				break
			}
		}
		if step <= 1e-6 || math.Abs(step*da)+math.Abs(step*db) < 1e-9 {
			break
		}
	}
	return a, b
}
