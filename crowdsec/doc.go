// Package crowdsec connects Warden to a CrowdSec Local API (LAPI) both
// ways. The Bouncer consumes the LAPI's decision stream and enforces its
// ban (and captcha) decisions on client addresses and ranges, as a
// detector named "crowdsec"; the Watcher reports Warden's own bans to the
// LAPI as alerts with decisions, so CrowdSec's other bouncers (firewalls,
// other proxies) act on what Warden saw. Package server wires both; the
// library never imports this package.
package crowdsec
