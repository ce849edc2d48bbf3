package stats

import (
	"errors"
	"math"
	"slices"
)

// ShapiroWilk returns the Shapiro–Wilk W statistic of x and its p-value
// for the hypothesis that x comes from a normal distribution, using
// Royston's approximations (Royston 1992, 1995; algorithm AS R94, as in R
// and SciPy): the coefficients a from normal order statistics with
// Royston's polynomial corrections for the two extreme ones, and the
// p-value from the normalising transformation of log(1 − W). Valid for
// 3 <= n <= 5000. x is not modified.
func ShapiroWilk(x []float64) (w, p float64, err error) {
	n := len(x)
	if n < 3 {
		return 0, 0, errors.New("shapiro-wilk: need at least 3 values")
	}
	if n > 5000 {
		return 0, 0, errors.New("shapiro-wilk: at most 5000 values")
	}
	s := slices.Clone(x)
	for _, v := range s {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, 0, errors.New("shapiro-wilk: non-finite value")
		}
	}
	slices.Sort(s)
	if s[n-1]-s[0] < 1e-19*math.Max(1, math.Abs(s[0])) {
		return 0, 0, errors.New("shapiro-wilk: all values are equal")
	}
	a := swilkCoefficients(n)

	// W = (Σ a_i (x_(n+1-i) − x_(i)))² / Σ (x − x̄)², on data scaled by the
	// range for numerical safety (W is scale invariant).
	rng := s[n-1] - s[0]
	mean := 0.0
	for _, v := range s {
		mean += v / rng
	}
	mean /= float64(n)
	ss := 0.0
	for _, v := range s {
		d := v/rng - mean
		ss += d * d
	}
	num := 0.0
	for i := range n / 2 {
		num += a[i] * (s[n-1-i] - s[i]) / rng
	}
	w = num * num / ss
	w = math.Min(w, 1)
	return w, swilkP(w, n), nil
}

// swilkCoefficients returns a_1..a_{n/2} (a_1 for the extremes), with
// Σ over the full antisymmetric vector of a² = 1.
func swilkCoefficients(n int) []float64 {
	n2 := n / 2
	a := make([]float64, n2)
	if n == 3 {
		a[0] = math.Sqrt2 / 2
		return a
	}
	c1 := []float64{0, 0.221157, -0.147981, -2.07119, 4.434685, -2.706056}
	c2 := []float64{0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633}
	an := float64(n)
	m := make([]float64, n2)
	summ2 := 0.0
	for i := range n2 {
		m[i] = qnorm((float64(i+1) - 0.375) / (an + 0.25))
		summ2 += m[i] * m[i]
	}
	summ2 *= 2
	ssumm2 := math.Sqrt(summ2)
	rsn := 1 / math.Sqrt(an)
	a1 := poly(c1, rsn) - m[0]/ssumm2
	var fac float64
	i1 := 1
	if n > 5 {
		i1 = 2
		a2 := -m[1]/ssumm2 + poly(c2, rsn)
		fac = math.Sqrt((summ2 - 2*m[0]*m[0] - 2*m[1]*m[1]) / (1 - 2*a1*a1 - 2*a2*a2))
		a[1] = a2
	} else {
		fac = math.Sqrt((summ2 - 2*m[0]*m[0]) / (1 - 2*a1*a1))
	}
	a[0] = a1
	for i := i1; i < n2; i++ {
		a[i] = -m[i] / fac
	}
	return a
}

// swilkP is Royston's p-value for W with n values.
func swilkP(w float64, n int) float64 {
	if n == 3 {
		const pi6, stqr = 6 / math.Pi, math.Pi / 3
		return math.Max(0, math.Min(1, pi6*(math.Asin(math.Sqrt(w))-stqr)))
	}
	an := float64(n)
	w1 := math.Log(1 - w)
	var m, s float64
	if n <= 11 {
		gamma := poly([]float64{-2.273, 0.459}, an)
		if w1 >= gamma {
			return 1e-99
		}
		w1 = -math.Log(gamma - w1)
		m = poly([]float64{0.544, -0.39978, 0.025054, -6.714e-4}, an)
		s = math.Exp(poly([]float64{1.3822, -0.77857, 0.062767, -0.0020322}, an))
	} else {
		xx := math.Log(an)
		m = poly([]float64{-1.5861, -0.31082, -0.083751, 0.0038915}, xx)
		s = math.Exp(poly([]float64{-0.4803, -0.082676, 0.0030302}, xx))
	}
	// Upper tail of N(m, s²) at w1.
	return 0.5 * math.Erfc((w1-m)/(s*math.Sqrt2))
}

// poly evaluates c[0] + c[1]x + c[2]x² + …
func poly(c []float64, x float64) float64 {
	r := 0.0
	for i := len(c) - 1; i >= 0; i-- {
		r = r*x + c[i]
	}
	return r
}

// qnorm is the standard normal quantile function.
func qnorm(p float64) float64 {
	return math.Sqrt2 * math.Erfinv(2*p-1)
}
