// Package aiguard assembles Warden's protections for chat / LLM and
// ML-inference endpoints: Config is the "ai" section, made of the Config
// of each subpackage, and NewSet builds the detectors it enables, sharing
// one chat parse per request between them.
//
// The subpackages, one idea each:
//   - chat: chat request bodies parsed into tagged text (Parse, Cache)
//   - prompt: prompt-injection and jailbreak heuristics (ai.prompt)
//   - budget: token and cost budgets per client (ai.budget)
//   - input: numeric model-input constraints (ai.input)
//   - extraction: repeated-input and model-extraction detection (ai.extraction)
//   - moderation: OpenAI-compatible moderation of message text (ai.moderation)
//   - judge: an LLM judge for a detector's grey zone (ai.judge)
//
// Detectors take time from abuse.Request.Time, bound every size an attacker
// controls and keep per-client state in capped tables that evict the least
// recently used clients. The root package warden and config import this
// package; it imports abuse, llm and its subpackages.
package aiguard
