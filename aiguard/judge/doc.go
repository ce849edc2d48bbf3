// Package judge asks an LLM (an OpenAI-compatible chat endpoint, through
// package llm) about the requests in a detector's grey zone: its Detector
// wraps another one and acts on a "malicious" judgement, in the background
// by default or within the request on wait routes, failing open. aiguard
// wraps the prompt detector with it from the ai.judge section; the root
// package wraps the payload detector.
package judge
