"use strict";
// Warden dashboard. Every value from the API is inserted with textContent:
// event paths and user ids come from clients and must never become HTML.
(function () {
  const $ = (id) => document.getElementById(id);
  const KEY = "warden-admin-token";
  let token = sessionStorage.getItem(KEY) || "";

  // A token may be handed over in the fragment (#token=…), which browsers
  // never send to the server; it is moved to sessionStorage at once.
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  let badLink = false;
  if (m) {
    // A link cut short can end inside an escape, which decodeURIComponent
    // throws on: refuse it rather than stop the whole page.
    try {
      token = decodeURIComponent(m[1]);
      sessionStorage.setItem(KEY, token);
    } catch {
      badLink = true;
    }
    history.replaceState(null, "", location.pathname);
  }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  // row builds a table row; the cells whose indexes are in short never
  // wrap (times, actions, buttons), so the long ones (paths, user ids,
  // messages) take the breaks.
  function row(cells, short) {
    const tr = el("tr");
    cells.forEach((c, i) => {
      const td = el("td", null, short && short.includes(i) ? "short" : null);
      if (c instanceof Node) td.appendChild(c); else td.textContent = c === undefined || c === null ? "" : String(c);
      tr.appendChild(td);
    });
    return tr;
  }

  class AuthError extends Error {}

  async function api(method, path, body) {
    const opts = { method, headers: { Authorization: "Bearer " + token } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(path, opts);
    if (res.status === 401) throw new AuthError("unauthorized");
    const data = await res.json().catch(() => ({}));
    if (!res.ok) { const e = new Error(data.message || res.statusText); e.status = res.status; throw e; }
    return data;
  }

  function showLogin(msg) {
    $("app").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = msg || "";
    $("status").textContent = "not signed in";
  }

  function refuseToken() {
    sessionStorage.removeItem(KEY);
    token = "";
    showLogin("That token was not accepted.");
  }

  // A token is printable ASCII without spaces (the Bearer syntax is a
  // subset). fetch cannot even send a header with other characters: it
  // throws, and the page would open on its error messages.
  const tokenSyntax = /^[\x21-\x7e]+$/;

  function fmtLeft(s) {
    if (s >= 86400) return Math.floor(s / 86400) + "d" + Math.floor((s % 86400) / 3600) + "h";
    if (s >= 3600) return Math.floor(s / 3600) + "h" + Math.floor((s % 3600) / 60) + "m";
    if (s >= 60) return Math.floor(s / 60) + "m" + (s % 60) + "s";
    return s + "s";
  }

  // Ban stories: a ban's row opens to what led to it, the violation
  // scores and log of its target and its latest stopped decisions.
  const stories = new Map(); // target -> story text, while open

  async function loadStory(target) {
    const lines = [];
    try {
      const v = (await api("GET", "/api/v1/violations?target=" + encodeURIComponent(target))).violations || {};
      lines.push("score " + (v.total ?? "?") + (v.bans ? ", banned " + v.bans + " time" + (v.bans > 1 ? "s" : "") + " so far (escalation)" : ""));
      const scores = v.scores || {}, counts = v.counts || {};
      for (const k of Object.keys(scores).sort()) lines.push("  " + (k || "(none)") + ": score " + scores[k] + ", " + (counts[k] || 0) + " violation(s)");
      const recent = v.recent || [];
      if (recent.length) lines.push("violations, newest first:");
      for (const r of recent) lines.push("  " + new Date(r.time).toLocaleString() + "  " + r.type + " +" + r.score + (r.route ? "  " + r.route : ""));
    } catch (e) {
      if (e instanceof AuthError) throw e;
      lines.push("violations: " + e.message);
    }
    // The decisions that stopped the target, with their messages: the
    // examples of what it did.
    const p = new URLSearchParams({ limit: "200" }); // collapsed, a few rows
    if (target.startsWith("user:")) p.set("user", target.slice(5));
    else if (target.startsWith("ip:") && !target.includes("/")) p.set("client", target.slice(3));
    if (p.has("user") || p.has("client")) {
      try {
        const d = await api("GET", "/api/v1/decisions?" + p);
        const stopped = d.decisions.filter((x) => x.action !== "allow");
        if (stopped.length) lines.push("latest decisions:");
        for (const x of stopped.slice(0, 8)) {
          lines.push("  " + new Date(x.time).toLocaleString() + "  " + x.action + (x.repeat > 1 ? " ×" + x.repeat : "") + "  " +
            x.method + " " + x.path + (detectorText(x) ? "  " + detectorText(x) : ""));
        }
      } catch (e) {
        if (e instanceof AuthError) throw e;
        lines.push("decisions: " + e.message);
      }
    }
    return lines.join("\n");
  }

  async function lift(target, keep) {
    $("ban-error").textContent = "";
    try {
      await api("DELETE", "/api/v1/bans/" + encodeURIComponent(target) + (keep ? "?keep_score=true" : ""));
      stories.delete(target);
      refresh();
    } catch (e) { $("ban-error").textContent = e.message; }
  }

  let lastBans = { bans: [], count: 0 };
  function renderBans(data) {
    lastBans = data;
    const tb = $("bans");
    tb.replaceChildren();
    $("ban-count").textContent = "(" + data.count + ")";
    for (const b of data.bans) {
      const buttons = document.createDocumentFragment();
      const story = el("button", stories.has(b.target) ? "hide" : "story");
      story.addEventListener("click", async () => {
        if (stories.has(b.target)) { stories.delete(b.target); renderBans(lastBans); return; }
        stories.set(b.target, "loading…");
        renderBans(lastBans);
        try { stories.set(b.target, await loadStory(b.target)); }
        catch (e) { if (e instanceof AuthError) { refuseToken(); return; } stories.set(b.target, e.message); }
        if (stories.has(b.target)) renderBans(lastBans);
      });
      const liftBtn = el("button", "lift");
      liftBtn.title = "lift the ban and clear the target's violation scores";
      liftBtn.addEventListener("click", () => lift(b.target, false));
      const keepBtn = el("button", "lift, keep score");
      keepBtn.title = "lift the ban; the scores stay, so new violations ban again sooner";
      keepBtn.addEventListener("click", () => lift(b.target, true));
      buttons.append(story, " ", liftBtn, " ", keepBtn);
      tb.appendChild(row([b.target, b.reason, b.violation || "", new Date(b.until).toLocaleString(), fmtLeft(b.seconds_left), buttons], [3, 4, 5]));
      if (stories.has(b.target)) {
        const td = el("td", stories.get(b.target));
        td.colSpan = 6;
        const tr = el("tr", null, "detail story");
        tr.appendChild(td);
        tb.appendChild(tr);
      }
    }
  }

  // The decision log: the first page of the filtered log, then older
  // pages on demand (next cursor) and newer decisions polled on every
  // refresh. The rows kept are bounded: past MAX_ROWS the oldest go.
  const MAX_ROWS = 500;
  const log = { rows: [], next: "", newest: "", filter: null, params: null, trimmed: false };
  // The rows opened by a click, by request id and time: they stay open
  // when the log reloads or new decisions come in.
  const openRows = new Set();

  function logFilter() {
    const p = new URLSearchParams();
    for (const [k, id] of [["client", "f-client"], ["user", "f-user"], ["route", "f-route"], ["action", "f-action"],
      ["detector", "f-detector"], ["violation", "f-violation"], ["q", "f-q"]]) {
      const v = $(id).value.trim();
      if (v) p.set(k, v);
    }
    return p;
  }
  // logParams is the filter with its time: from is now minus the chosen
  // span, so it moves; the filter itself (logFilter) does not.
  function logParams() {
    const p = logFilter();
    const secs = Number($("f-time").value);
    if (secs) p.set("from", new Date(Date.now() - secs * 1000).toISOString());
    return p;
  }
  const filterKey = () => logFilter().toString() + "|" + $("f-time").value;

  const detectorText = (e) => (e.abuse && e.abuse.detectors || []).map((d) =>
    d.name + " " + d.confidence.toFixed(2) + (d.violation ? " [" + d.violation + "]" : "") +
    (d.messages && d.messages.length ? ": " + d.messages.join("; ") : "")).join(" | ");

  // same tells a decision that repeats the one before it, as the API's
  // collapsing does.
  const sig = (e) => JSON.stringify([e.action, e.would || "", e.client, e.method, e.route, e.route ? "" : e.path, e.status,
    e.abuse ? (e.abuse.detectors || []).map((d) => [d.name, d.violation]) : null]);

  function renderEvents() {
    const tb = $("events");
    tb.replaceChildren();
    if (log.rows.length === 0) tb.appendChild(row(["", "no decisions match"]));
    for (const d of log.rows) {
      // A monitor-mode line says what happened (action) and, apart, what
      // enforce mode would have done (would): show both, never merge them.
      const action = (d.would ? d.action + " (would " + d.would + ")" : d.action) + (d.repeat > 1 ? " ×" + d.repeat : "");
      const client = (d.client.ip || "") + (d.client.user ? " user:" + d.client.user : "");
      const tr = row([new Date(d.time).toLocaleTimeString(), action, d.status, client,
        d.method + " " + d.path + (d.route ? "  (" + d.route + ")" : ""), detectorText(d)], [0, 1, 2]);
      tr.className = "row";
      const key = d.request_id + d.time;
      tr.addEventListener("click", () => { if (!openRows.delete(key)) openRows.add(key); renderEvents(); });
      tb.appendChild(tr);
      if (openRows.has(key)) {
        const lines = ["request id: " + d.request_id, "mode: " + d.mode];
        if (d.repeat > 1) lines.push(d.repeat + " like it since " + new Date(d.since).toLocaleString());
        for (const det of (d.abuse && d.abuse.detectors || [])) {
          lines.push(det.name + (det.violation ? " [" + det.violation + "]" : "") + " " + det.confidence.toFixed(2));
          for (const m of det.messages || []) lines.push("  " + m);
        }
        const td = el("td", lines.join("\n"));
        td.colSpan = 6;
        const dr = el("tr", null, "detail");
        dr.appendChild(td);
        tb.appendChild(dr);
      }
    }
    $("log-more").hidden = !log.next;
    $("log-note").textContent = log.trimmed ? "older rows were dropped to keep the page light; filter to see them" : "";
  }

  function addOlder(data) {
    for (const d of data.decisions) {
      const last = log.rows[log.rows.length - 1];
      if (last && sig(last) === sig(d)) { last.repeat += d.repeat; last.since = d.since; continue; }
      log.rows.push(d);
    }
    log.next = data.next;
  }

  // loadLog starts the log over for the current filter.
  async function loadLog() {
    const p = logParams();
    p.set("limit", "100");
    const key = filterKey();
    const data = await api("GET", "/api/v1/decisions?" + p);
    log.rows = [];
    log.trimmed = false;
    log.filter = key;
    log.params = p;
    addOlder(data);
    log.newest = log.rows.length ? log.rows[0].time : "";
  }

  // pollLog adds the decisions newer than the newest shown.
  async function pollLog() {
    if (!log.newest) return loadLog();
    const p = logFilter();
    p.set("from", log.newest);
    p.set("limit", "1000");
    const data = await api("GET", "/api/v1/decisions?" + p);
    // from is inclusive: the newest shown comes back, and is skipped.
    const known = new Set(log.rows.map((d) => d.request_id + d.time));
    const fresh = [];
    for (const d of data.decisions) if (!known.has(d.request_id + d.time)) fresh.push(d);
    for (const d of fresh.reverse()) { // oldest first onto the top
      const top = log.rows[0];
      if (top && sig(top) === sig(d)) {
        d.repeat += top.repeat; d.since = top.since;
        log.rows[0] = d;
      } else log.rows.unshift(d);
    }
    if (log.rows.length) log.newest = log.rows[0].time;
    if (log.rows.length > MAX_ROWS) {
      log.rows.length = MAX_ROWS;
      log.next = "";
      log.trimmed = true;
    }
  }

  // Alerts: the incident log, newest first, with each message's state
  // (firing or resolved) and its delivery.
  function renderAlerts(data) {
    const tb = $("alerts");
    tb.replaceChildren();
    const list = data.alerts || [];
    $("alert-count").textContent = "(" + list.length + ")";
    if (list.length === 0) tb.appendChild(row(["", "no alerts"]));
    for (const d of list) {
      const n = d.notification || {};
      const tr = row([new Date(d.created).toLocaleString(), n.status || "", n.rule || n.type || "", n.title || "", d.channel,
        d.status + (d.attempts > 1 ? " (" + d.attempts + " tries)" : "") + (d.error ? ": " + d.error : "")], [0, 1]);
      tr.cells[1].classList.add("st-" + (n.status === "firing" ? "firing" : "resolved"));
      tb.appendChild(tr);
    }
  }

  // The daily report, as the text the report renders itself.
  async function loadReport() {
    $("report-error").textContent = "";
    const date = $("report-date").value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) { $("report-error").textContent = "pick a date"; return; }
    try {
      const res = await fetch("/api/v1/reports/" + date + "?format=text", { headers: { Authorization: "Bearer " + token } });
      if (res.status === 401) { refuseToken(); return; }
      if (!res.ok) {
        const data = await res.json().catch(() => ({}));
        $("report").textContent = "";
        $("report-error").textContent = data.message || res.statusText;
        return;
      }
      $("report").textContent = await res.text();
    } catch (e) { $("report-error").textContent = e.message; }
  }

  // The order actions stack in, from the bottom: allowed traffic first,
  // the harshest on top.
  const ACTIONS = ["allow", "log", "throttle", "reject", "too_large", "block", "ban"];
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  const actionClass = (a) => "a-" + (ACTIONS.includes(a) ? a : "other");

  // renderChart draws the decisions per step as stacked bars. Every bar
  // segment carries its action and count (data-action, data-n) and a
  // tooltip; the steps without decisions stay empty.
  function renderChart(o) {
    const W = 760, H = 180, left = 40, bottom = 16;
    const from = Date.parse(o.from), to = Date.parse(o.to), step = o.step_seconds * 1000;
    const steps = Math.max(1, Math.ceil((to - from) / step));
    const bw = (W - left) / steps;
    let max = 0;
    for (const b of o.buckets) max = Math.max(max, Object.values(b.actions).reduce((x, y) => x + y, 0));
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "decisions over time" });
    root.appendChild(svg("line", { x1: left, y1: H - bottom, x2: W, y2: H - bottom, class: "axis" }));
    root.appendChild(svg("text", { x: left - 4, y: 10, "text-anchor": "end" }, max));
    root.appendChild(svg("text", { x: left - 4, y: H - bottom, "text-anchor": "end" }, 0));
    root.appendChild(svg("text", { x: left, y: H - 2 }, new Date(from).toLocaleString()));
    root.appendChild(svg("text", { x: W, y: H - 2, "text-anchor": "end" }, new Date(to).toLocaleString()));
    const scale = max > 0 ? (H - bottom - 14) / max : 0;
    for (const b of o.buckets) {
      const x = left + Math.floor((Date.parse(b.start) - from) / step) * bw;
      let y = H - bottom;
      const keys = Object.keys(b.actions).sort((p, q) => (ACTIONS.indexOf(p) >>> 0) - (ACTIONS.indexOf(q) >>> 0));
      for (const a of keys) {
        const n = b.actions[a], h = Math.max(n * scale, 1);
        y -= h;
        const r = svg("rect", { x: x.toFixed(1), y: y.toFixed(1), width: Math.max(bw - 1, 1).toFixed(1), height: h.toFixed(1),
          class: actionClass(a), "data-action": a, "data-n": n });
        r.appendChild(svg("title", {}, new Date(Date.parse(b.start)).toLocaleString() + ": " + n + " " + a));
        root.appendChild(r);
      }
    }
    $("ov-chart").replaceChildren(root);
  }

  // none names the empty key: a refusal of a banned client has no
  // violation type, a path outside the configured routes no pattern.
  function renderTop(id, list, empty, none) {
    const tb = $(id);
    tb.replaceChildren();
    if (list.length === 0) tb.appendChild(row([empty, ""]));
    for (const c of list) tb.appendChild(row([c.key === "" ? none : c.key, c.n], [1]));
  }

  function renderOverview(o) {
    const box = $("counts");
    box.replaceChildren();
    const keys = Object.keys(o.actions).sort((p, q) => (ACTIONS.indexOf(p) >>> 0) - (ACTIONS.indexOf(q) >>> 0));
    if (keys.length === 0) box.appendChild(el("span", "no decisions in this range", "muted"));
    for (const k of keys) {
      const c = el("div", null, "count");
      c.dataset.action = k;
      c.appendChild(el("b", o.actions[k]));
      c.appendChild(el("i", null, actionClass(k)));
      c.appendChild(el("span", k));
      box.appendChild(c);
    }
    renderChart(o);
    renderTop("ov-violations", o.violations, "nothing stopped", "(no violation type)");
    renderTop("ov-detectors", o.detectors, "nothing stopped", "(none)");
    renderTop("ov-clients", o.clients, "nothing stopped", "(unknown)");
    renderTop("ov-users", o.users, "no signed-in user stopped", "(anonymous)");
    renderTop("ov-routes", o.routes, "nothing stopped", "(no configured route)");
  }

  let noAlerts = false;
  // A refresh that has not finished yet (a slow store) is not overlapped
  // by the next one: two polls from the same place would add the same
  // decisions twice.
  // A refresh asked for meanwhile (a filter, a lift) runs right after.
  let refreshing = false, again = false;
  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      do { again = false; await doRefresh(); } while (again);
    } finally { refreshing = false; }
  }

  async function doRefresh() {
    if (!token) {
      // The periodic refresh must not wipe the sign-in message.
      if ($("login").hidden) showLogin();
      return;
    }
    if (!tokenSyntax.test(token)) { refuseToken(); return; }
    try {
      const [bans, events, overview, alerts] = await Promise.allSettled([api("GET", "/api/v1/bans"),
        log.filter === filterKey() ? pollLog() : loadLog(),
        api("GET", "/api/v1/overview?range=" + encodeURIComponent($("ov-range").value)), noAlerts ? { alerts: [] } : api("GET", "/api/v1/alerts?limit=50")]);
      for (const r of [bans, events, overview, alerts]) if (r.status === "rejected" && r.reason instanceof AuthError) throw r.reason;
      $("login").hidden = true;
      $("app").hidden = false;
      if (bans.status === "fulfilled") renderBans(bans.value); else $("ban-count").textContent = "(" + bans.reason.message + ")";
      if (alerts.status === "fulfilled") { $("alert-error").textContent = ""; renderAlerts(alerts.value); }
      else if (alerts.reason.status === 501) { noAlerts = true; $("alerts-view").hidden = true; } // no alert log: ask once
      else $("alert-error").textContent = alerts.reason.message;
      if (overview.status === "fulfilled") { $("ov-error").textContent = ""; renderOverview(overview.value); }
      else $("ov-error").textContent = overview.reason.message;
      if (events.status === "fulfilled") { $("log-error").textContent = ""; renderEvents(); }
      else $("log-error").textContent = events.reason.message;
      $("status").textContent = "updated " + new Date().toLocaleTimeString();
    } catch (e) {
      if (e instanceof AuthError) {
        refuseToken();
      } else {
        $("status").textContent = "error: " + e.message;
      }
    }
  }

  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    token = $("token").value.trim();
    $("token").value = "";
    sessionStorage.setItem(KEY, token);
    refresh();
  });

  $("ban-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("ban-error").textContent = "";
    try {
      await api("POST", "/api/v1/bans", {
        target: $("ban-target").value.trim(),
        duration: $("ban-duration").value.trim() || "1h",
        reason: $("ban-reason").value.trim(),
      });
      $("ban-target").value = "";
      $("ban-reason").value = "";
      refresh();
    } catch (e) {
      $("ban-error").textContent = e.message;
    }
  });

  $("ov-range").addEventListener("change", () => refresh());
  // The report of yesterday (UTC) opens first: today's is not made yet.
  $("report-date").value = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
  $("report-load").addEventListener("click", loadReport);
  $("log-form").addEventListener("submit", (ev) => { ev.preventDefault(); log.filter = null; refresh(); });
  $("log-more").addEventListener("click", async () => {
    const p = new URLSearchParams(log.params);
    p.set("cursor", log.next);
    try { addOlder(await api("GET", "/api/v1/decisions?" + p)); renderEvents(); }
    catch (e) { $("log-error").textContent = e.message; }
  });

  if (badLink) refuseToken(); else refresh();
  setInterval(refresh, 5000);
})();
