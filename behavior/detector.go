package behavior

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/internal/ratehdr"
)

// Name is the detector name in verdicts and logs.
const Name = "behavior"

const shards = 16

// pendingSlots is how many decided requests per shard Observe can find
// again; with 16 shards it covers a few hundred requests in flight.
const pendingSlots = 4

// pending is a request between Findings and Observe. The request is
// remembered by address, time and path length only: it is not retained.
type pending struct {
	req  uintptr
	t    int64
	plen int
	key  clientKey
	info reqInfo
	node *node[clientKey, client] // the client Findings found, nil if none
}

// Finding is one scenario that fired for a request.
type Finding struct {
	Scenario   string  // violation type, one of the constants
	Confidence float64 // the scenario's weight or escalated confidence
	Message    string  // the evidence; never more than 64 bytes of request data
}

// Detector is the behaviour detector. It implements abuse.Detector and
// abuse.Observer and is safe for concurrent use: state is split over 16
// shards, each a capped table (approximate LRU) under its own mutex, so
// memory is bounded by Config.MaxClients whatever the traffic.
type Detector struct {
	cfg        Config
	paths      pathMatcher
	pathMemo   [pathMemoSlots]atomic.Pointer[pathClass] // recent paths' classes, by hash
	loginClass []string                                 // a slice: one or two classes compare faster than a map hashes
	black      float64                                  // the confidence of BLACK findings
	failStatus [600]bool
	payloadDet map[string]bool
	userParams map[string]bool
	w          [numScenarios]float64 // effective weights, by scenario index
	scanGate   uint8                 // sketch bits below which no slow scan is possible
	scanKey    uint64                // secret key of the sketch's bit choice
	shownKey   uint64                // secret key of shownSketch's bit choice
	shownPools

	shard [shards]shard
	umu   sync.Mutex
	users *lru[uint32, userRecord]
	seed  maphash.Seed // for path and user-agent hashes
}

// shard is one part of the client table, under its own mutex.
type shard struct {
	mu sync.Mutex
	m  *lru[clientKey, client]
	// requests decided but not yet observed, so Observe of the same
	// request does not classify and look its client up again. Several,
	// because in a server other requests reach the shard while one
	// waits for its upstream.
	pending [pendingSlots]pending
	next    uint8 // the slot the next decided request takes
	// list answers being read for the IDs they show (WrapResponse), until
	// Observe; at most maxRespPending
	resp map[*abuse.Request]*respScan

	_ [64]byte // keeps each shard's mutex and memo off its neighbours' cache lines
}

// find returns the pending entry of r, or nil.
func (sh *shard) find(r *abuse.Request, k clientKey) *pending {
	ptr, t, plen := uintptr(unsafe.Pointer(r)), r.Time.UnixNano(), len(r.Path)
	for i := range sh.pending {
		if p := &sh.pending[i]; p.req == ptr && p.t == t && p.plen == plen && p.key == k {
			return p
		}
	}
	return nil
}

var (
	_ abuse.Detector        = (*Detector)(nil)
	_ abuse.Observer        = (*Detector)(nil)
	_ abuse.ResponseWrapper = (*Detector)(nil)
	_ abuse.Forgetter       = (*Detector)(nil)
)

// New validates cfg and returns a Detector.
func New(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("behavior config: %w", err)
	}
	d := &Detector{
		cfg:        cfg,
		paths:      newPathMatcher(cfg),
		black:      math.Max(cfg.BlackConfidence, 0.95),
		payloadDet: make(map[string]bool),
		seed:       maphash.MakeSeed(),
		scanGate:   scanGateBits(cfg.SlowScan.DistinctPaths),
		scanKey:    rand.Uint64(),
		shownKey:   rand.Uint64(),
	}
	for i, k := range scenarioNames {
		d.w[i] = cfg.weight(k)
	}
	for _, c := range cfg.Login.Classes {
		if !slices.Contains(d.loginClass, c) {
			d.loginClass = append(d.loginClass, c)
		}
	}
	for _, s := range cfg.Login.FailureStatuses {
		d.failStatus[s] = true
	}
	d.userParams = make(map[string]bool)
	for _, p := range cfg.Enumeration.UserParams {
		d.userParams[p] = true
	}
	for _, n := range cfg.PayloadDetectors {
		d.payloadDet[n] = true
	}
	per := (cfg.MaxClients + shards - 1) / shards
	for i := range d.shard {
		d.shard[i].m = newLRU[clientKey, client](per)
	}
	d.users = newLRU[uint32, userRecord](cfg.MaxUsers)
	return d, nil
}

// Forget implements abuse.Forgetter: it zeroes the records of user (when
// not "") and of the clients keyed by an address in network (when valid)
// — windows, rings, ID tracks, login failures, the slow-scan sketch — so
// their next requests are judged as a new client's. A network walks the
// whole client table, shard by shard; an admin lifting a ban calls it,
// not the request path. Failed logins counted against a username across
// addresses (Config.Login.PerUser) belong to the username attacked, not
// to the client, and are kept.
func (d *Detector) Forget(user string, network netip.Prefix) int {
	n := 0
	if user != "" {
		k := clientKey{user: user}
		sh := &d.shard[k.shard()]
		sh.mu.Lock()
		if nd := sh.m.peekNode(k); nd != nil {
			nd.val = client{}
			n++
		}
		sh.mu.Unlock()
	}
	if !network.IsValid() {
		return n
	}
	network = network.Masked()
	match := func(c clientKey) bool { return c.user == "" && network.Contains(c.ip.Unmap().WithZone("")) }
	for i := range d.shard {
		sh := &d.shard[i]
		sh.mu.Lock()
		n += sh.m.reset(match)
		sh.mu.Unlock()
	}
	return n
}

// Name returns "behavior".
func (d *Detector) Name() string { return Name }

// detectorStats is a snapshot of the detector's state.
type detectorStats struct {
	Clients   int // tracked clients
	Evictions int // clients evicted to stay within MaxClients
	Users     int // usernames tracked for cross-IP login failures
}

// stats returns the current counts, for tests of the memory bound.
func (d *Detector) stats() detectorStats {
	var s detectorStats
	for i := range d.shard {
		sh := &d.shard[i]
		sh.mu.Lock()
		s.Clients += sh.m.len()
		s.Evictions += sh.m.evict
		sh.mu.Unlock()
	}
	d.umu.Lock()
	s.Users = d.users.len()
	d.umu.Unlock()
	return s
}

// reqInfo is what the detector derives from one request.
type reqInfo struct {
	t        int64
	sec      uint32
	static   bool
	sensCat  string
	sensPat  string
	shape    uint32
	id       uint64
	hasID    bool
	userEnum bool // the ID is a user number (WordPress ?author=N)
	pathHash uint32
	uaHash   uint32
	login    bool
	userHash uint32 // 0 when the username is not visible
	badProto bool
}

func (d *Detector) classify(r *abuse.Request) reqInfo {
	ri := reqInfo{t: r.Time.UnixNano()}
	ri.sec = uint32(r.Time.Unix())
	norm := normalizePath(r.Path)
	nh := maphash.String(d.seed, norm)
	pc := d.pathClass(norm, nh)
	ri.static = pc.static
	if d.w[sSensitivePath] > 0 {
		ri.sensCat, ri.sensPat = pc.cat, pc.pat
	}
	var param string
	ri.shape, ri.id, ri.hasID, param = shapeOf(r.Method, r.Path, r.RawQuery)
	ri.userEnum = param != "" && d.userParams[param]
	// Endpoints, not items: a page that loads each listed item's comments
	// walks 50 paths of one shape, which is id_enumeration's to judge.
	ri.pathHash = ri.shape | 1
	ri.uaHash = uint32(maphash.String(d.seed, r.UserAgent)) | 1
	ri.login = slices.Contains(d.loginClass, r.Class)
	if ri.login {
		ri.userHash = usernameHash(r.Body, r.ContentType, d.cfg.Login.UsernameFields)
		if ri.userHash == 0 && r.Header != nil {
			ri.userHash = basicAuthUser(r.Header.Get("Authorization"))
		}
	}
	ri.badProto = r.Method == "CONNECT" || !validMethod(r.Method) || (r.Path != "" && r.Path[0] != '/' && r.Path != "*")
	return ri
}

func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return m == ""
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func keyOf(c abuse.Client) clientKey {
	if c.User != "" {
		return clientKey{user: c.User}
	}
	return clientKey{ip: c.IP}
}

func (k clientKey) shard() int {
	var h uint32
	if k.user != "" {
		h = hashString(fnvOffset, k.user)
	} else {
		h = ipHash(k.ip)
	}
	return int(h % shards)
}

// Detect decides from the client's state so far and the request at hand.
//
// A GREY finding is reported once per client, scenario and minute (of
// request time), so that a condition lasting a while scores one violation,
// not one per request; BLACK verdicts are returned every time.
func (d *Detector) Detect(_ context.Context, r *abuse.Request) abuse.Verdict {
	var buf [4]Finding
	fs := d.Findings(r, buf[:0])
	if len(fs) == 0 {
		return abuse.Verdict{}
	}
	if v := d.Verdict(fs); v.Action > abuse.Log {
		return v
	}
	return d.Verdict(d.unreported(r, fs))
}

// scenario indexes the violation types: weights are kept in an array,
// not looked up by name on every request.
type scenario uint8

const (
	sFlood scenario = iota
	sElevatedRate
	sErrorStorm
	sSensitivePath
	sContentDiscovery
	sEndpointScan
	sIDEnumeration
	sCredentialStuffing
	sBruteForce
	sBurstAfterIdle
	sPayloadProbing
	sUARotation
	sProtocolProbe
	sSlowScan
	numScenarios
)

var scenarioNames = [numScenarios]string{
	Flood, ElevatedRate, ErrorStorm, SensitivePath, ContentDiscovery, EndpointScan, IDEnumeration,
	CredentialStuffing, BruteForce, BurstAfterIdle, PayloadProbing, UARotation, ProtocolProbe, SlowScan,
}

// scenarioBits numbers the violation types for Detector.unreported.
var scenarioBits = map[string]uint16{
	Flood: 1 << 0, ElevatedRate: 1 << 1, ErrorStorm: 1 << 2, SensitivePath: 1 << 3, ContentDiscovery: 1 << 4,
	EndpointScan: 1 << 5, IDEnumeration: 1 << 6, CredentialStuffing: 1 << 7, BruteForce: 1 << 8,
	BurstAfterIdle: 1 << 9, PayloadProbing: 1 << 10, UARotation: 1 << 11, ProtocolProbe: 1 << 12,
	SlowScan: 1 << 13,
}

// unreported drops the GREY findings already reported for this client in
// the current minute and marks the others as reported.
func (d *Detector) unreported(r *abuse.Request, fs []Finding) []Finding {
	k := keyOf(r.Client)
	sh := &d.shard[k.shard()]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	c, _ := sh.m.get(k)
	minute := uint32(r.Time.Unix() / 60)
	if c.greyMin != minute {
		c.greyMin, c.greyMask = minute, 0
	}
	out := fs[:0]
	for _, f := range fs {
		bit := scenarioBits[f.Scenario]
		if c.greyMask&bit != 0 {
			continue
		}
		c.greyMask |= bit
		out = append(out, f)
	}
	return out
}

// Findings appends to dst the scenarios that fire for r given the state so
// far, without changing state. It does not allocate unless a scenario fires.
func (d *Detector) Findings(r *abuse.Request, dst []Finding) []Finding {
	if !d.cfg.Enabled {
		return dst
	}
	ri := d.classify(r) // reads no shard state: outside the lock
	k := keyOf(r.Client)
	sh := &d.shard[k.shard()]
	sh.mu.Lock()
	n := sh.m.peekNode(k)
	sh.pending[sh.next] = pending{req: uintptr(unsafe.Pointer(r)), t: ri.t, plen: len(r.Path), key: k, info: ri, node: n}
	sh.next = (sh.next + 1) % pendingSlots
	var c *client
	if n != nil {
		c = &n.val
	} else {
		c = new(client) // a new client; here, so that a known one does not zero a record
	}
	dst = d.evaluate(c, &ri, r, dst)
	sh.mu.Unlock()
	if ri.login && ri.userHash != 0 && d.w[sBruteForce] > 0 {
		d.umu.Lock()
		if u := d.users.peek(ri.userHash); u != nil {
			n := u.fails.count(ri.t, d.cfg.Login.PerUser.Window)
			ips := distinctNonZero(u.ips[:])
			if n >= float64(d.cfg.Login.PerUser.Max) && ips >= d.cfg.Login.PerUserIPs {
				dst = append(dst, Finding{BruteForce, math.Min(d.w[sBruteForce], 0.75),
					fmt.Sprintf("%.0f failed logins for this username from %d IPs in %s", n, ips, d.cfg.Login.PerUser.Window)})
			}
		}
		d.umu.Unlock()
	}
	return dst
}

func (d *Detector) add(dst []Finding, s scenario, conf float64, format string, args ...any) []Finding {
	if d.w[s] <= 0 || conf <= 0 {
		return dst
	}
	return append(dst, Finding{Scenario: scenarioNames[s], Confidence: conf, Message: fmt.Sprintf(format, args...)})
}

// evaluate runs every scenario over c plus the pending request.
func (d *Detector) evaluate(c *client, ri *reqInfo, r *abuse.Request, dst []Finding) []Finding {
	cfg := &d.cfg
	t := ri.t
	grace := c.n < uint32(cfg.GraceRequests)
	black := d.black

	// Each check below first compares the window's upper bound (see
	// window.atMost) with its threshold: on ordinary traffic that integer
	// test settles it, without estimating the count.
	if !ri.static {
		flood := false
		if c.flood.atMost()+1 >= uint64(cfg.Flood.Max) {
			if n := c.flood.count(t, cfg.Flood.Window) + 1; n >= float64(cfg.Flood.Max) {
				dst = d.add(dst, sFlood, d.w[sFlood], "%.0f requests in %s (limit %d)", n, cfg.Flood.Window, cfg.Flood.Max)
				flood = true
			}
		}
		if !flood && !grace && c.elevated.atMost()+1 >= uint64(cfg.Elevated.Max) {
			if n := c.elevated.count(t, cfg.Elevated.Window) + 1; n >= float64(cfg.Elevated.Max) {
				dst = d.add(dst, sElevatedRate, d.w[sElevatedRate], "%.0f requests in %s (limit %d)", n, cfg.Elevated.Window, cfg.Elevated.Max)
			}
		}
	}
	// errs/tot >= Ratio > 0 needs an error
	if !grace && c.errs.atMost() > 0 && c.total.atMost() >= uint64(cfg.ErrorStorm.MinRequests) {
		tot := c.total.count(t, cfg.ErrorStorm.Window)
		errs := c.errs.count(t, cfg.ErrorStorm.Window)
		if tot >= float64(cfg.ErrorStorm.MinRequests) && errs/tot >= cfg.ErrorStorm.Ratio {
			dst = d.add(dst, sErrorStorm, d.w[sErrorStorm], "%.0f of %.0f responses were errors in %s", errs, tot, cfg.ErrorStorm.Window)
		}
	}
	if c.notFound.atMost() >= uint64(cfg.Discovery.Max) {
		if nf := c.notFound.count(t, cfg.Discovery.Window); nf >= float64(3*cfg.Discovery.Max) {
			dst = d.add(dst, sContentDiscovery, black, "%.0f not-found answers on non-static paths in %s", nf, cfg.Discovery.Window)
		} else if nf >= float64(cfg.Discovery.Max) && !grace {
			dst = d.add(dst, sContentDiscovery, d.w[sContentDiscovery], "%.0f not-found answers on non-static paths in %s", nf, cfg.Discovery.Window)
		}
	}
	if !ri.static && c.distinct.atMost()+1 >= uint64(cfg.Scanning.Max) {
		n := c.distinct.count(t, cfg.Scanning.Window)
		if !ringHas(c.paths[:], ri.pathHash) {
			n++
		}
		if n >= float64(2*cfg.Scanning.Max) {
			dst = d.add(dst, sEndpointScan, black, "%.0f distinct paths in %s", n, cfg.Scanning.Window)
		} else if n >= float64(cfg.Scanning.Max) && !grace {
			dst = d.add(dst, sEndpointScan, d.w[sEndpointScan], "%.0f distinct paths in %s", n, cfg.Scanning.Window)
		}
	}
	// c.scanBits, on a line every request reads, keeps the sketch's
	// lines out of ordinary requests
	if c.scanBits >= d.scanGate && d.w[sSlowScan] > 0 {
		dst = d.slowScan(c, t, grace, dst)
	}
	if ri.sensCat != "" {
		n := c.sensitive.count(t, cfg.Sensitive.Window) + 1
		conf := d.w[sSensitivePath]
		if n >= float64(cfg.Sensitive.Max) {
			conf = black
		}
		dst = d.add(dst, sSensitivePath, conf, "%s path %q (%.0f sensitive hits in %s)", ri.sensCat, abuse.Excerpt(r.Path), n, cfg.Sensitive.Window)
	}
	if !grace && c.uaNew.atMost()+1 >= uint64(cfg.UARotation.Max) {
		n := c.uaNew.count(t, cfg.UARotation.Window)
		if !ringHas(c.uas[:], ri.uaHash) {
			n++
		}
		if n >= float64(cfg.UARotation.Max) {
			dst = d.add(dst, sUARotation, d.w[sUARotation], "%.0f different user agents in %s", n, cfg.UARotation.Window)
		}
	}
	if c.payload.atMost() >= uint64(cfg.PayloadProbing.Max) {
		if n := c.payload.count(t, cfg.PayloadProbing.Window); n >= float64(cfg.PayloadProbing.Max) {
			dst = d.add(dst, sPayloadProbing, d.w[sPayloadProbing], "%.0f payload detections in %s", n, cfg.PayloadProbing.Window)
		}
	}
	if ri.login {
		fails := c.loginFail.count(t, cfg.Login.Failures.Window)
		if fails >= float64(cfg.Login.Failures.Max) {
			dst = d.add(dst, sBruteForce, d.w[sBruteForce], "%.0f failed logins in %s", fails, cfg.Login.Failures.Window)
		} else if ok := c.loginOK.count(t, cfg.Login.Failures.Window); fails >= math.Ceil(0.5*float64(cfg.Login.Failures.Max)) && fails > 3*ok {
			// GREY only when failures far outweigh successes: an office behind
			// one NAT address fails now and then but mostly logs in
			dst = d.add(dst, sBruteForce, 0.6, "%.0f failed and %.0f successful logins in %s", fails, ok, cfg.Login.Failures.Window)
		}
		if fails > 0 {
			users := distinctNonZero(c.users[:])
			if ri.userHash != 0 && !ringHas(c.users[:], ri.userHash) {
				users++
			}
			if users >= cfg.Login.Usernames {
				dst = d.add(dst, sCredentialStuffing, d.w[sCredentialStuffing], "failed logins for %d different usernames in %s", users, cfg.Login.Failures.Window)
			}
		}
	}
	if ri.hasID && d.w[sIDEnumeration] > 0 {
		if tr, ok := c.track(ri.shape); ok {
			dst = d.enumeration(c, tr, ri, r, dst)
		}
	}
	if !grace && c.burstShape == ri.shape && c.burstN > 0 && t-c.burstStart <= int64(cfg.Burst.Window) && int(c.burstN)+1 >= cfg.Burst.Max {
		dst = d.add(dst, sBurstAfterIdle, d.w[sBurstAfterIdle], "%d requests to one endpoint within %s after %s idle", c.burstN+1, cfg.Burst.Window, cfg.Burst.Idle)
	}
	if ri.badProto {
		dst = d.add(dst, sProtocolProbe, d.w[sProtocolProbe], "request line %q %q is not an origin-form HTTP request", abuse.Excerpt(r.Method), abuse.Excerpt(r.Path))
	}
	return dst
}

func (d *Detector) enumeration(c *client, tr trackRef, ri *reqInfo, r *abuse.Request, dst []Finding) []Finding {
	if !ri.userEnum && !d.mayWalk(tr, ri) {
		return dst
	}
	// An ID the client was shown is a link followed, not a guess, and no
	// step of a walk; unless the route's answers keep failing: walking
	// IDs that are refused is enumeration, shown or not (see Observe).
	if tr.fails < 2 && c.shownAny && c.shown.has(uint32(ri.id), d.shownKey) {
		return dst
	}
	return d.walks(tr, ri, r, dst)
}

// walks is enumeration's full check: it copies the track and sorts IDs.
func (d *Detector) walks(tr trackRef, ri *reqInfo, r *abuse.Request, dst []Finding) []Finding {
	e := &d.cfg.Enumeration
	var ids, secs [idRing + 1]uint32
	k := max(e.Sequential, e.Dense) - 1
	n := tr.last(k, ids[:], secs[:])
	ids[n], secs[n] = uint32(ri.id), ri.sec
	n++
	if ri.userEnum && n >= e.UserDistinct {
		first := n - 1
		for first > 0 && int64(secs[n-1])-int64(secs[first-1]) <= int64(e.SequentialWindow/time.Second) {
			first--
		}
		var sorted [idRing + 1]uint32
		w := sorted[:n-first]
		copy(w, ids[first:n])
		slices.Sort(w)
		distinct := 1
		for i := 1; i < len(w); i++ {
			if w[i] != w[i-1] {
				distinct++
			}
		}
		if distinct >= e.UserDistinct {
			return d.add(dst, sIDEnumeration, math.Min(d.w[sIDEnumeration], 0.75), "user enumeration: %d distinct user numbers on %s within %s", distinct, routeName(r), e.SequentialWindow)
		}
	}
	if n >= e.Sequential {
		w := ids[n-e.Sequential : n]
		s := secs[n-e.Sequential : n]
		if span := int64(s[len(s)-1]) - int64(s[0]); span <= int64(e.SequentialWindow/time.Second) {
			up, down := 0, 0
			for i := 1; i < len(w); i++ {
				diff := int64(w[i]) - int64(w[i-1])
				switch {
				case diff > 0 && diff <= int64(e.MaxStep):
					up++
				case diff < 0 && diff >= -int64(e.MaxStep):
					down++
				}
			}
			if max(up, down) >= len(w)-2 {
				return d.add(dst, sIDEnumeration, d.w[sIDEnumeration], "sequential walk over ids %d..%d on %s (%d requests in %ds)", w[0], w[len(w)-1], routeName(r), len(w), span)
			}
		}
	}
	if n >= e.Dense {
		var sorted [idRing + 1]uint32
		w := sorted[:e.Dense]
		copy(w, ids[n-e.Dense:n])
		s := secs[n-e.Dense : n]
		if span := int64(s[len(s)-1]) - int64(s[0]); span <= int64(e.DenseWindow/time.Second) && denseCandidate(w, e.Dense, e.Coverage) {
			slices.Sort(w)
			distinct := 1
			for i := 1; i < len(w); i++ {
				if w[i] != w[i-1] {
					distinct++
				}
			}
			rng := float64(w[len(w)-1]-w[0]) + 1
			if distinct >= e.Dense-1 && float64(distinct)/rng >= e.Coverage {
				return d.add(dst, sIDEnumeration, d.w[sIDEnumeration], "dense walk: %d distinct ids within %d..%d on %s in %ds", distinct, w[0], w[len(w)-1], routeName(r), span)
			}
		}
	}
	return dst
}

// mayWalk reports whether the sequential or the dense check of
// enumeration could fire for the pending ID, from the newest entries
// only, without copying the track: false means neither can.
func (d *Detector) mayWalk(tr trackRef, ri *reqInfo) bool {
	e := &d.cfg.Enumeration
	n := min(int(tr.n), max(e.Sequential, e.Dense)-1) + 1 // with the pending ID
	// Both windows end with the pending ID and, being at least 3 long,
	// hold the two before it.
	seq, dense := n >= e.Sequential, n >= e.Dense
	if !seq && !dense {
		return false
	}
	id, n0, n1 := uint32(ri.id), tr.recent[0], tr.recent[1]
	// A walk needs all steps but one to go the same way by at most
	// MaxStep: two steps that go neither way leave it two short.
	step := func(a, b uint32) bool {
		diff := int64(b) - int64(a)
		return diff != 0 && diff >= -int64(e.MaxStep) && diff <= int64(e.MaxStep)
	}
	if seq && !step(n0, id) && !step(n1, n0) {
		seq = false
	}
	if seq && int64(ri.sec)-int64(tr.newest(e.Sequential-2).sec) > int64(e.SequentialWindow/time.Second) {
		seq = false
	}
	// The same ID three times in a row is two fewer distinct IDs, one
	// more than a dense walk allows.
	if dense && id == n0 && n0 == n1 {
		dense = false
	}
	if dense && int64(ri.sec)-int64(tr.newest(e.Dense-2).sec) > int64(e.DenseWindow/time.Second) {
		dense = false
	}
	return seq || dense
}

// denseCandidate reports whether w, ids in request order, may be a dense
// walk: sorting them is needed to be sure. Each ID equal to its
// predecessor is one fewer distinct, and the distinct IDs are at most
// len(w) over the range from the smallest to the largest.
func denseCandidate(w []uint32, dense int, coverage float64) bool {
	dups := 0
	lo, hi := w[0], w[0]
	for i := 1; i < len(w); i++ {
		if w[i] == w[i-1] {
			dups++
		}
		lo, hi = min(lo, w[i]), max(hi, w[i])
	}
	return dups < 2 && float64(dense)/(float64(hi-lo)+1) >= coverage
}

// Verdict combines findings into one verdict: the confidence is the
// highest finding's or 1-Π(1-cᵢ) over all, whichever is larger (capped at
// 0.99). At Config.BlackConfidence or more (BLACK) the verdict asks for
// Block — or Throttle, with Retry-After and RateLimit headers, when only
// rate findings are BLACK; below (GREY) it asks for Log, so the finding
// is logged but neither scored nor blocked.
func (d *Detector) Verdict(fs []Finding) abuse.Verdict {
	if len(fs) == 0 {
		return abuse.Verdict{}
	}
	best := 0
	rest := 1.0
	msgs := make([]string, len(fs))
	for i, f := range fs {
		if f.Confidence > fs[best].Confidence {
			best = i
		}
		rest *= 1 - f.Confidence
		msgs[i] = f.Scenario + ": " + f.Message
	}
	conf := math.Max(fs[best].Confidence, math.Min(1-rest, 0.99))
	v := abuse.Verdict{
		Detector:   Name,
		Confidence: conf,
		Violation:  fs[best].Scenario,
		Messages:   msgs,
		Reason:     "suspicious behaviour",
	}
	switch {
	case conf < d.cfg.BlackConfidence:
		v.Action = abuse.Log // GREY: logged, never blocked by policy thresholds
	case d.rateOnly(fs):
		d.throttle(&v, fs[best].Scenario)
	default:
		v.Action = abuse.Block
	}
	return v
}

// rateOnly reports whether no finding but a rate one (flood, elevated
// rate, burst after idle) is BLACK on its own: then the verdict is a rate
// limit, answered 429 like one, not 403.
func (d *Detector) rateOnly(fs []Finding) bool {
	rate := false
	for _, f := range fs {
		_, isRate := d.rateLimit(f.Scenario)
		switch {
		case isRate && f.Confidence >= d.cfg.BlackConfidence:
			rate = true
		case !isRate && f.Confidence >= d.cfg.BlackConfidence:
			return false
		}
	}
	return rate
}

// rateLimit returns the limit of a rate scenario, and false for the others.
func (d *Detector) rateLimit(scenario string) (Limit, bool) {
	switch scenario {
	case Flood:
		return d.cfg.Flood, true
	case ElevatedRate:
		return d.cfg.Elevated, true
	case BurstAfterIdle:
		return d.cfg.Burst.Limit, true
	}
	return Limit{}, false
}

// throttle makes v the rate-limited answer of the rate scenario: 429 with
// Retry-After the scenario's window — by then the requests that tripped
// it have left the window — and the RateLimit headers, as package
// ratelimit answers.
func (d *Detector) throttle(v *abuse.Verdict, scenario string) {
	l, _ := d.rateLimit(scenario)
	v.Action = abuse.Throttle
	v.Reason = "too many requests"
	v.RetryAfter = l.Window
	v.Header = ratehdr.Denied(scenario, ratehdr.Policy(scenario, int64(l.Max), l.Window), l.Window)
}

// Observe updates the client's windows with the request and its outcome.
func (d *Detector) Observe(r *abuse.Request, o abuse.Outcome) {
	if !d.cfg.Enabled {
		return
	}
	cfg := &d.cfg
	k := keyOf(r.Client)
	sh := &d.shard[k.shard()]
	sh.mu.Lock()
	var ri reqInfo
	var c *client
	rs := sh.takeRespLocked(r)
	p := sh.find(r, k)
	if p != nil {
		ri = p.info
		if n := p.node; n != nil && n.key == k { // not evicted and reused since
			sh.m.touch(n)
			c = &n.val
		}
		*p = pending{}
	} else {
		ri = d.classify(r)
	}
	t := ri.t
	if c == nil {
		c, _ = sh.m.get(k)
	}
	prevLast := c.last
	if t > c.last || t < c.last-int64(time.Hour) {
		c.last = t
	}
	c.n++

	if !ri.static {
		c.flood.add(t, cfg.Flood.Window, 1)
		c.elevated.add(t, cfg.Elevated.Window, 1)
		if !ringHas(c.paths[:], ri.pathHash) {
			c.paths[c.pathPos] = ri.pathHash
			c.pathPos = (c.pathPos + 1) % pathRing
			c.distinct.add(t, cfg.Scanning.Window, 1)
		}
	}
	if o.Action < abuse.Reject { // the upstream answered, not Warden
		c.total.add(t, cfg.ErrorStorm.Window, 1)
		if o.Status >= 400 {
			c.errs.add(t, cfg.ErrorStorm.Window, 1)
		}
	}
	if !ri.static && (o.Status == 400 || o.Status == 404 || o.Status == 410) {
		c.notFound.add(t, cfg.Discovery.Window, 1)
	}
	if !ri.static && o.Action < abuse.Reject && d.w[sSlowScan] > 0 { // answered by the upstream
		d.observeScan(c, r, t, o.Status)
	}
	if ri.sensCat != "" {
		c.sensitive.add(t, cfg.Sensitive.Window, 1)
	}
	if !ringHas(c.uas[:], ri.uaHash) {
		ua := c.ringPos & 0x0f
		c.uas[ua] = ri.uaHash
		c.ringPos = c.ringPos&0xf0 | (ua+1)%uaRing
		c.uaNew.add(t, cfg.UARotation.Window, 1)
	}
	for i := range o.Verdicts {
		v := &o.Verdicts[i]
		if d.payloadDet[v.Detector] && v.Found() && o.Acted(i) {
			d.countPayload(c, r, v, t)
			break
		}
	}
	failed := ri.login && o.Status > 0 && o.Status < len(d.failStatus) && d.failStatus[o.Status]
	if ri.login && !failed && o.Status > 0 && o.Status < 400 {
		c.loginOK.add(t, cfg.Login.Failures.Window, 1)
	}
	if failed {
		if c.loginFail.count(t, cfg.Login.Failures.Window) < 0.5 {
			c.users = [userRing]uint32{}
		}
		c.loginFail.add(t, cfg.Login.Failures.Window, 1)
		if ri.userHash != 0 && !ringHas(c.users[:], ri.userHash) {
			u := c.ringPos >> 4
			c.users[u] = ri.userHash
			c.ringPos = c.ringPos&0x0f | (u+1)%userRing<<4
		}
	}
	if ri.hasID {
		d.observeID(c, &ri, o.Status)
	}
	switch {
	case prevLast != 0 && t-prevLast >= int64(cfg.Burst.Idle):
		c.burstStart, c.burstShape, c.burstN = t, ri.shape, 1
	case c.burstN > 0 && c.burstShape == ri.shape && t-c.burstStart <= int64(cfg.Burst.Window):
		c.burstN++
	default:
		c.burstN = 0
	}
	sh.mu.Unlock()

	if rs != nil {
		d.addShown(k, rs)
	}
	if failed && ri.userHash != 0 {
		d.umu.Lock()
		u, _ := d.users.get(ri.userHash)
		u.fails.add(t, cfg.Login.PerUser.Window, 1)
		if h := ipHash(r.Client.IP); !ringHas(u.ips[:], h) {
			u.ips[u.pos] = h
			u.pos = (u.pos + 1) % userIPRing
		}
		d.umu.Unlock()
	}
}

// countPayload counts a payload detection that acted towards payload
// probing, unless it is one of the client's last two counted findings
// (abuse.Finding) again: a person resending a request Warden blocked is
// answered 403 for that request each time, but their other requests
// are not blocked for it, while an injector trying different payloads
// adds up. A grey finding, only logged, never counts (see Observe). The
// findings are remembered as 8-bit hashes: a new payload is taken for a
// repeat with odds of 2 in 255, which delays a count, never adds one.
func (d *Detector) countPayload(c *client, r *abuse.Request, v *abuse.Verdict, t int64) {
	h := uint8(abuse.Finding(d.seed, r, v)%255) + 1
	if c.payloadSeen[0] == h || c.payloadSeen[1] == h {
		return
	}
	c.payloadSeen[1], c.payloadSeen[0] = c.payloadSeen[0], h
	c.payload.add(t, d.cfg.PayloadProbing.Window, 1)
}

func routeName(r *abuse.Request) string {
	if r.Route != "" {
		return r.Route
	}
	return r.Method + " " + abuse.Excerpt(r.Path)
}
