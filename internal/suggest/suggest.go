// Package suggest finds the known word closest to a misspelt one, for
// "did you mean …?" hints in configuration errors. Any package of this
// module may import it; it imports nothing of ours.
package suggest

// Closest returns the word of known nearest to word by edit distance
// (insertions, deletions, substitutions and swaps of two neighbouring
// bytes, each costing one: the optimal string alignment distance), and
// whether it is near enough to be worth suggesting: at most one
// edit for words of up to four bytes, else at most a third of word's
// length. Ties go to the word listed first. Comparison is by bytes and
// case-sensitive, as configuration keys are.
func Closest(word string, known []string) (string, bool) {
	limit := max(1, len(word)/3)
	best, bestD := "", limit+1
	for _, k := range known {
		if d := distance(word, k, bestD); d < bestD {
			best, bestD = k, d
		}
	}
	return best, bestD <= limit
}

// Hint returns " (did you mean X?)" for the known word closest to word,
// or "" when none is close: the suffix of an "unknown …" error.
func Hint(word string, known []string) string {
	if k, ok := Closest(word, known); ok {
		return " (did you mean " + k + "?)"
	}
	return ""
}

// distance returns the edit distance of a and b, or any value >= bound
// once it is known to reach bound. Words are short (names of classes,
// fields, options); inputs past maxWord bytes are not compared.
func distance(a, b string, bound int) int {
	if d := len(a) - len(b); d >= bound || -d >= bound || len(a) > maxWord || len(b) > maxWord {
		return bound
	}
	var rows [3][maxWord + 1]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= len(b); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			low = min(low, cur[j])
		}
		if low >= bound {
			return bound
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// maxWord is the longest word compared; longer ones are never suggested.
const maxWord = 64
