package promptmodel

// LogOnly is the highest confidence the model alone gives a text: below
// the block level (0.8), so a text only the model flags is logged, never
// blocked.
const LogOnly = 0.79

// Combine joins the heuristics' confidence (which come with reasons) with
// the model's probability: the higher of the two, the model's capped at
// LogOnly.
//
// The choice follows the leave-one-source-out figures of bench/prompteval:
// on sources it was not trained on the model ranks attacks above benign
// prompts too weakly to block on its own (its false positives on general
// chat it never saw are far above 3%), and a model that could lower a
// heuristic block would let an attacker hide an instruction in benign
// padding. So the model adds breadth at the log level and never takes a
// block away.
func Combine(heuristic, model float64) float64 {
	return max(heuristic, min(model, LogOnly))
}
