// Package tune reads the decisions of a monitor-mode run (the event store
// or a JSON log of decision lines) and proposes the settings that let
// Warden enforce without stopping ordinary users: payload exclusions for
// fields that draw false positives, and per-route detector modes, with a
// report of what enforce mode would have stopped. It backs `warden tune`
// and belongs to the server layer: the library does not import it.
//
// The proposals follow one heuristic, stated in the output: a false
// positive recurs on one field of one route across many ordinary clients
// at low to middling confidence, while an attacker sprays many fields and
// classes from few clients, at high confidence. Everything is aggregated
// in bounded maps while events stream past, so a day of a busy site's
// decisions fits in a few megabytes.
package tune
