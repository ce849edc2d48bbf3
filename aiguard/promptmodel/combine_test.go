package promptmodel

import "testing"

func TestCombine(t *testing.T) {
	for _, tt := range []struct {
		h, m, want float64
	}{
		{0, 0, 0},
		{0.9, 0.01, 0.9},   // the model never lowers a heuristic block
		{0, 0.99, LogOnly}, // alone it logs, never blocks
		{0.3, 0.6, 0.6},
		{0.85, 0.95, 0.85},
	} {
		if got := Combine(tt.h, tt.m); got != tt.want {
			t.Errorf("Combine(%v, %v) = %v, want %v", tt.h, tt.m, got, tt.want)
		}
	}
}
