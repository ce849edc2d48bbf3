// Package prompt detects prompt injections and jailbreaks in chat text
// with heuristics alone: phrase rules over normalised words (leetspeak,
// homoglyphs, spacing, invisible characters undone), substring rules,
// encoded instructions and adversarial suffixes. Its Detector reads chat
// bodies through package chat; aiguard builds it from the ai.prompt
// section.
package prompt
