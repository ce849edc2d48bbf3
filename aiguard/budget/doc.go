// Package budget enforces per-client token and cost budgets on chat
// routes (OWASP LLM10 Unbounded Consumption): it estimates a request's
// tokens from its chat body, throttles over budget, and corrects the
// charge from the usage the upstream reports, streamed or not. aiguard
// builds its Detector from the ai.budget section.
package budget
