// Package moderation sends the message text of chat requests to an
// OpenAI-compatible moderation API (through package llm) and blocks what
// it flags, as LibreChat's OPENAI_MODERATION does. aiguard builds its
// Detector from the ai.moderation section.
package moderation
