// Package extraction detects model-extraction attacks on ML-inference
// endpoints: repeated inputs, and PRADA's test of a client's query
// distances (a Shapiro–Wilk test on the distance of each query to the
// nearest earlier one: natural queries look normal, synthetic probes do
// not). Per-client state is bounded. aiguard builds its Detector from the
// ai.extraction section.
package extraction
