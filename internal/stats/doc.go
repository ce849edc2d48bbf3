// Package stats holds the statistics Warden's detectors test their
// samples with: the Shapiro–Wilk normality test and a median. It is
// internal to Warden; it imports nothing of Warden's.
package stats
