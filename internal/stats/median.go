package stats

import "slices"

// Median returns the upper median of x (its element len(x)/2 once sorted;
// x must not be empty), sorting a copy in *scratch so that x keeps its
// order and a caller that reuses scratch does not allocate.
func Median(x []float64, scratch *[]float64) float64 {
	*scratch = append((*scratch)[:0], x...)
	slices.Sort(*scratch)
	return (*scratch)[len(x)/2]
}
