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
    if (!res.ok) throw new Error(data.message || res.statusText);
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

  function renderBans(data) {
    const tb = $("bans");
    tb.replaceChildren();
    $("ban-count").textContent = "(" + data.count + ")";
    for (const b of data.bans) {
      const lift = el("button", "lift");
      lift.addEventListener("click", async () => {
        $("ban-error").textContent = "";
        try { await api("DELETE", "/api/v1/bans/" + encodeURIComponent(b.target)); refresh(); }
        catch (e) { $("ban-error").textContent = e.message; }
      });
      tb.appendChild(row([b.target, b.reason, b.violation || "", new Date(b.until).toLocaleString(), fmtLeft(b.seconds_left), lift], [3, 4, 5]));
    }
  }

  function renderEvents(data) {
    const tb = $("events");
    tb.replaceChildren();
    const counts = {};
    for (const e of data.events) {
      // A monitor-mode line says what happened (action) and, apart, what
      // enforce mode would have done (would): show both, never merge them.
      const action = e.would ? e.action + " (would " + e.would + ")" : e.action;
      counts[action] = (counts[action] || 0) + 1;
      const client = (e.client.ip || "") + (e.client.user ? " user:" + e.client.user : "");
      // The log line's JSON writes empty lists as null.
      const dets = (e.abuse && e.abuse.detectors || []).map((d) =>
        d.name + " " + d.confidence.toFixed(2) + (d.violation ? " [" + d.violation + "]" : "") +
        (d.messages && d.messages.length ? ": " + d.messages.join("; ") : "")).join(" | ");
      tb.appendChild(row([new Date(e.time).toLocaleTimeString(), action, e.status, client,
        e.method + " " + e.path + (e.route ? "  (" + e.route + ")" : ""), dets], [0, 1, 2]));
    }
    const box = $("counts");
    box.replaceChildren();
    const keys = Object.keys(counts).sort();
    if (keys.length === 0) box.appendChild(el("span", "no decisions logged yet", "muted"));
    for (const k of keys) {
      const c = el("div", null, "count");
      c.appendChild(el("b", counts[k]));
      c.appendChild(el("span", k));
      box.appendChild(c);
    }
  }

  async function refresh() {
    if (!token) {
      // The periodic refresh must not wipe the sign-in message.
      if ($("login").hidden) showLogin();
      return;
    }
    if (!tokenSyntax.test(token)) { refuseToken(); return; }
    try {
      const [bans, events] = await Promise.allSettled([api("GET", "/api/v1/bans"), api("GET", "/api/v1/events?limit=100")]);
      for (const r of [bans, events]) if (r.status === "rejected" && r.reason instanceof AuthError) throw r.reason;
      $("login").hidden = true;
      $("app").hidden = false;
      if (bans.status === "fulfilled") renderBans(bans.value); else $("ban-count").textContent = "(" + bans.reason.message + ")";
      if (events.status === "fulfilled") renderEvents(events.value);
      else { $("events").replaceChildren(row(["", events.reason.message])); }
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

  if (badLink) refuseToken(); else refresh();
  setInterval(refresh, 5000);
})();
