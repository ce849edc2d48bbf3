// Package input checks the numeric inputs of ML-inference endpoints
// against configured constraints (element count, shape, range, NaN, the
// gradient between neighbours) before they reach the model. aiguard builds
// its Detector from the ai.input section; package extraction reads model
// inputs with its ScanNumeric.
package input
