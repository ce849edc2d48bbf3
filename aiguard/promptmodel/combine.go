package promptmodel

// Combine joins the heuristics' confidence with the model's probability.
func Combine(heuristic, model float64) float64 {
	return max(heuristic, model)
}
