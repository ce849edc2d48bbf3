package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestShapiroWilkKnownValues(t *testing.T) {
	// Reference values from SciPy's test suite (TestShapiro.test_basic),
	// which R's shapiro.test reproduces.
	for _, tc := range []struct {
		name string
		x    []float64
		w, p float64
		ptol float64
	}{
		{"scipy x1", []float64{0.11, 7.87, 4.61, 10.14, 7.95, 3.14, 0.46, 4.43, 0.21, 4.75, 0.71, 1.52, 3.24, 0.93, 0.42, 4.97, 9.53, 4.55, 0.47, 6.66},
			0.90047299861907959, 0.042089745402336121, 1e-6},
		{"scipy x2", []float64{1.36, 1.14, 2.92, 2.55, 1.46, 1.06, 5.27, -1.11, 3.48, 1.10, 0.88, -0.51, 1.46, 0.52, 6.20, 1.69, 0.08, 3.67, 2.81, 3.49},
			0.9590270, 0.52460, 1e-3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, p, err := ShapiroWilk(tc.x)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(w-tc.w) > 1e-6 || math.Abs(p-tc.p) > tc.ptol {
				t.Fatalf("W=%.9f p=%.9f, want W=%.9f p=%.9f", w, p, tc.w, tc.p)
			}
		})
	}
}

func TestShapiroWilkProperties(t *testing.T) {
	// n = 3 is exact: equally spaced values give W = 1.
	if w, p, err := ShapiroWilk([]float64{1, 2, 3}); err != nil || math.Abs(w-1) > 1e-12 || math.Abs(p-1) > 1e-9 {
		t.Fatalf("W=%v p=%v err=%v", w, p, err)
	}
	// Scale and shift invariant, order independent.
	x := []float64{3.1, 0.4, 2.2, 5.9, 1.7, 2.8, 4.4, 0.9, 3.3, 2.5, 1.1, 6.2}
	y := make([]float64, len(x))
	for i, v := range x {
		y[len(x)-1-i] = 100*v - 7
	}
	wx, _, _ := ShapiroWilk(x)
	wy, _, _ := ShapiroWilk(y)
	if math.Abs(wx-wy) > 1e-12 {
		t.Fatalf("W not invariant: %v vs %v", wx, wy)
	}
	// Normal samples mostly pass at 5 %, exponential ones mostly fail.
	rng := rand.New(rand.NewPCG(1, 2))
	passNormal, failExp := 0, 0
	for range 200 {
		a, b := make([]float64, 100), make([]float64, 100)
		for i := range a {
			a[i], b[i] = rng.NormFloat64(), rng.ExpFloat64()
		}
		if _, p, _ := ShapiroWilk(a); p > 0.05 {
			passNormal++
		}
		if _, p, _ := ShapiroWilk(b); p < 0.05 {
			failExp++
		}
	}
	if passNormal < 180 || failExp < 195 {
		t.Fatalf("normal passed %d/200, exponential rejected %d/200", passNormal, failExp)
	}
	if _, _, err := ShapiroWilk([]float64{1, 1, 1, 1}); err == nil {
		t.Fatal("equal values accepted")
	}
	if _, _, err := ShapiroWilk([]float64{1, 2}); err == nil {
		t.Fatal("two values accepted")
	}
}

func FuzzShapiroWilk(f *testing.F) {
	f.Add(1.0, 2.0, 4.0, 8.0, 3.0)
	f.Fuzz(func(t *testing.T, a, b, c, d, e float64) {
		w, p, err := ShapiroWilk([]float64{a, b, c, d, e})
		if err != nil {
			return
		}
		if w < 0 || w > 1 || p < 0 || p > 1 || math.IsNaN(w) || math.IsNaN(p) {
			t.Fatalf("W=%v p=%v", w, p)
		}
	})
}
