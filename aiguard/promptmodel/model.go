// Package promptmodel is a learned prompt-injection detector shipped in the
// binary: a logistic regression over hashed word and character n-gram
// features (see features.go), with weights quantised to int8 and embedded,
// and its output calibrated (Platt scaling on held-out folds) so that a
// score is a probability.
//
// The heuristics in package aiguard give reasons; this model gives breadth
// (paraphrases, typos, other languages) and calibration. Combine joins the
// two.
//
// The weights are rebuilt, byte for byte, from the shared corpus by:
//
//	cd bench && go run ./promptmodel -corpus ../../shared/corpus -out ../aiguard/promptmodel/weights.bin
package promptmodel

//go:generate sh -c "cd ../../bench && go run ./promptmodel -corpus ../../shared/corpus -out ../aiguard/promptmodel/weights.bin"

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

//go:embed weights.bin
var weights []byte

// magic starts a weights file; the digit is the format version.
const magic = "WPM1"

// headerSize is the magic, the bits byte, three bytes of padding and four
// float32: scale, bias, calibration slope and intercept.
const headerSize = 4 + 4 + 4*4

// Model scores texts. It is safe for concurrent use: Score only reads it.
type Model struct {
	bits  uint8
	w     []int8 // 1<<bits quantised weights; weight = w * scale
	scale float32
	bias  float32
	calA  float32 // calibrated probability = sigmoid(calA*z + calB)
	calB  float32
}

// Load returns the model embedded in the binary.
func Load() (*Model, error) {
	return Read(weights)
}

// Read parses a weights file written by Write.
func Read(b []byte) (*Model, error) {
	if len(b) < headerSize || string(b[:4]) != magic {
		return nil, errors.New("promptmodel: not a weights file")
	}
	bits := b[4]
	if bits < 8 || bits > 24 {
		return nil, fmt.Errorf("promptmodel: bad bucket bits %d", bits)
	}
	if len(b) != headerSize+1<<bits {
		return nil, fmt.Errorf("promptmodel: weights file is %d bytes, want %d", len(b), headerSize+1<<bits)
	}
	f := func(i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b[8+4*i:])) }
	m := &Model{bits: bits, scale: f(0), bias: f(1), calA: f(2), calB: f(3), w: make([]int8, 1<<bits)}
	for i, v := range b[headerSize:] {
		m.w[i] = int8(v)
	}
	for _, v := range []float32{m.scale, m.bias, m.calA, m.calB} {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, errors.New("promptmodel: weights file holds a non-finite number")
		}
	}
	return m, nil
}

// Write writes the model in the format Read reads.
func (m *Model) Write(w io.Writer) error {
	b := make([]byte, headerSize+len(m.w))
	copy(b, magic)
	b[4] = m.bits
	for i, v := range []float32{m.scale, m.bias, m.calA, m.calB} {
		binary.LittleEndian.PutUint32(b[8+4*i:], math.Float32bits(v))
	}
	for i, v := range m.w {
		b[headerSize+i] = byte(v)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("promptmodel: writing weights: %w", err)
	}
	return nil
}

// Score returns the probability that text is a prompt injection or a
// jailbreak, in 0..1. Texts over 16 KB are scored on their first and last
// 8 KB.
func (m *Model) Score(text string) float64 {
	return sigmoid(float64(m.calA)*m.raw(text) + float64(m.calB))
}

// raw returns the uncalibrated log-odds.
func (m *Model) raw(text string) float64 {
	return float64(m.bias) + float64(m.scale)*windowScore(m.w, text, m.bits)
}

func sigmoid(z float64) float64 {
	return 1 / (1 + math.Exp(-z))
}
