// Shipwave dashboard: a single page over the /v1 API. No framework, no
// build step. Routes live in the fragment: #/ #/matrix #/p/NAME #/r/ID.
"use strict";

(function () {
  // The local stack's token arrives once as #token=...; keep it for the tab.
  // #actor=NAME names whom the local token holder acts for (a label).
  const m = location.hash.match(/token=([^&]+)/), a = location.hash.match(/actor=([^&]+)/);
  if (a) localStorage.setItem("shipwave-actor", decodeURIComponent(a[1]));
  if (m) {
    sessionStorage.setItem("shipwave-token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + "#/");
  }
})();

const token = () => sessionStorage.getItem("shipwave-token") || "";
const actor = () => localStorage.getItem("shipwave-actor") || "";

async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (token()) headers["Authorization"] = "Bearer " + token();
  if (actor()) headers["X-Shipwave-Actor"] = actor();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  const text = await resp.text();
  let data = {};
  try { data = text ? JSON.parse(text) : {}; } catch (e) { data = { error: text }; }
  if (!resp.ok) throw new Error(method + " " + path + ": HTTP " + resp.status + ": " + (data.error || text));
  return data;
}

// h builds an element: h("td", {class: "x"}, "text", child...).
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    // Styles through the CSSOM: the page's CSP refuses style attributes.
    else if (k === "style") for (const decl of String(v).split(";")) { const i = decl.indexOf(":"); if (i > 0) el.style.setProperty(decl.slice(0, i).trim(), decl.slice(i + 1).trim()); }
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) {
    if (kid === undefined || kid === null || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

// svg builds an SVG element.
function svg(tag, attrs, ...kids) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const kid of kids.flat()) if (kid) el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  return el;
}

const status = (s) => h("span", { class: "status s-" + s }, s);
const relLink = (r) => h("a", { href: "#/r/" + r.id }, r.id);
const fmtTime = (t) => t ? new Date(t).toLocaleString() : "";
const clock = (t) => t ? new Date(t).toLocaleTimeString() : "";

// dur formats nanoseconds (Go's time.Duration in JSON).
function dur(ns) {
  if (ns > 0 && ns < 1e9) return Math.max(1, Math.round(ns / 1e6)) + "ms";
  let s = Math.round(ns / 1e9);
  if (s < 60) return s + "s";
  let m = Math.floor(s / 60); s %= 60;
  if (m < 60) return m + "m" + (s ? " " + s + "s" : "");
  const hr = Math.floor(m / 60); m %= 60;
  if (hr < 48) return hr + "h" + (m ? " " + m + "m" : "");
  return Math.round(hr / 24) + "d";
}

function weightBar(w) {
  return h("span", { class: "bar", title: w + "% on the candidate" }, h("span", { style: "width:" + Math.max(0, Math.min(100, w)) + "%" }));
}

function alarmChips(alarms) {
  return Object.keys(alarms || {}).sort().map((a) => h("span", { class: "alarm a-" + alarms[a], "data-alarm": a }, a + ": " + alarms[a]));
}

function targetBox(t) {
  const st = t.state;
  const kids = [h("div", { class: "tname" }, t.name, " ", h("span", { class: "muted" }, t.type))];
  if (!st) {
    kids.push(h("div", { class: "muted" }, "never deployed"));
  } else {
    kids.push(h("div", {}, "stable ", h("b", { class: "ver" }, st.stable || st.knownGood || "-")));
    if (st.candidate && st.weight > 0 && st.weight < 100) {
      kids.push(h("div", {}, "candidate ", h("b", {}, st.candidate), " ", weightBar(st.weight), " " + st.weight + "%"));
    }
    kids.push(h("div", { class: "muted" }, "phase " + st.phase + (st.releaseId ? " · " : ""), st.releaseId ? h("a", { href: "#/r/" + st.releaseId }, st.releaseId) : ""));
  }
  kids.push(h("div", {}, alarmChips(t.alarms)));
  return h("div", { class: "target", "data-target": t.name }, kids);
}

function stagesView(p) {
  return h("div", { class: "stages" }, p.stages.map((s) =>
    h("section", { class: "stage", "data-stage": s.name },
      h("h3", {}, s.name, s.approvers ? h("span", { class: "gate" }, " · approval: " + s.approvers.join(", ")) : ""),
      s.waves.map((w) => h("div", { class: "wave", "data-wave": w.name },
        h("h4", {}, "wave " + w.name + (w.deployment ? " · " + w.deployment : "")),
        w.targets.map(targetBox))))));
}

function releasesTable(rs) {
  return h("table", { class: "releases" },
    h("tr", {}, h("th", {}, "Release"), h("th", {}, "Version"), h("th", {}, "Status"), h("th", {}, "Created"), h("th", {}, "Reason")),
    rs.map((r) => h("tr", { "data-release": r.id }, h("td", {}, relLink(r)), h("td", {}, r.version), h("td", {}, status(r.status)), h("td", {}, fmtTime(r.createdAt)), h("td", { class: "muted" }, r.reason || ""))));
}

async function overview() {
  const d = await api("GET", "/v1/pipelines");
  return [h("h1", {}, "Pipelines"),
    h("table", { id: "pipelines" },
      h("tr", {}, h("th", {}, "Pipeline"), h("th", {}, "Spec"), h("th", {}, "Targets"), h("th", {}, "In flight"), h("th", {}, "Latest")),
      d.pipelines.map((p) => {
        const targets = p.stages.flatMap((s) => s.waves.flatMap((w) => w.targets));
        const latest = p.recent[0];
        return h("tr", { "data-pipeline": p.name },
          h("td", {}, h("a", { href: "#/p/" + p.name }, p.name)), h("td", {}, "v" + p.specVersion), h("td", {}, targets.length),
          h("td", {}, p.active.map((r) => h("span", {}, relLink(r), " ", status(r.status), " "))),
          h("td", {}, latest ? [relLink(latest), " ", latest.version, " ", status(latest.status)] : h("span", { class: "muted" }, "no release yet")));
      }))];
}

async function matrix() {
  const d = await api("GET", "/v1/pipelines");
  const rows = [];
  for (const p of d.pipelines) for (const s of p.stages) for (const w of s.waves) for (const t of w.targets) rows.push({ p: p.name, s: s.name, w: w.name, t });
  return [h("h1", {}, "What version runs where"),
    h("table", { id: "matrix", class: "matrix" },
      h("tr", {}, h("th", {}, "Pipeline"), h("th", {}, "Stage"), h("th", {}, "Wave"), h("th", {}, "Target"), h("th", {}, "Serving"), h("th", {}, "Candidate"), h("th", {}, "Known good")),
      rows.map((r) => {
        const st = r.t.state || {};
        return h("tr", { "data-target": r.t.name },
          h("td", {}, h("a", { href: "#/p/" + r.p }, r.p)), h("td", {}, r.s), h("td", {}, r.w), h("td", {}, r.t.name),
          h("td", { class: "v" }, st.stable || "never deployed"),
          h("td", { class: "v" }, st.candidate && st.weight > 0 && st.weight < 100 ? st.candidate + " @" + st.weight + "%" : ""),
          h("td", { class: "v" }, st.knownGood || ""));
      }))];
}

// barChart draws daily (or hourly) succeeded/failed counts.
function barChart(buckets) {
  const W = 320, H = 80, n = Math.max(buckets.length, 1), bw = W / n;
  const max = Math.max(1, ...buckets.map((b) => b.succeeded + b.failed));
  const g = svg("svg", { width: W, height: H + 14, viewBox: `0 0 ${W} ${H + 14}`, role: "img", "aria-label": "releases per period" });
  buckets.forEach((b, i) => {
    const hs = (b.succeeded / max) * H, hf = (b.failed / max) * H;
    g.append(svg("rect", { x: i * bw + 1, y: H - hs, width: Math.max(bw - 2, 1), height: hs, fill: "#1a7f37" }, svg("title", {}, new Date(b.start).toLocaleString() + ": " + b.succeeded + " succeeded")));
    g.append(svg("rect", { x: i * bw + 1, y: H - hs - hf, width: Math.max(bw - 2, 1), height: hf, fill: "#cf222e" }, svg("title", {}, b.failed + " failed")));
  });
  g.append(svg("line", { x1: 0, y1: H, x2: W, y2: H, stroke: "#d0d7de" }));
  g.append(svg("text", { x: 0, y: H + 12, "font-size": 10, fill: "#57606a" }, "max " + max + " per " + (buckets.length > 60 ? "hour" : "period")));
  return g;
}

// dotChart plots each release's duration (lead time or time to restore).
function dotChart(points, color) {
  const W = 320, H = 80;
  const g = svg("svg", { width: W, height: H + 14, viewBox: `0 0 ${W} ${H + 14}`, role: "img" });
  if (!points.length) { g.append(svg("text", { x: 0, y: H / 2, "font-size": 11, fill: "#57606a" }, "no data in the window")); return g; }
  const max = Math.max(...points.map((p) => p.value));
  points.forEach((p, i) => {
    const x = points.length === 1 ? W / 2 : 6 + (i * (W - 12)) / (points.length - 1);
    const y = H - (p.value / max) * (H - 6);
    g.append(svg("circle", { cx: x, cy: y, r: 4, fill: color }, svg("title", {}, p.releaseId + " " + p.version + ": " + dur(p.value))));
  });
  g.append(svg("line", { x1: 0, y1: H, x2: W, y2: H, stroke: "#d0d7de" }));
  g.append(svg("text", { x: 0, y: H + 12, "font-size": 10, fill: "#57606a" }, "max " + dur(max)));
  return g;
}

function doraCards(m) {
  return h("div", { class: "cards", id: "dora" },
    h("div", { class: "card", id: "dora-frequency" }, h("div", {}, "Deployment frequency"), h("div", { class: "v" }, m.deploymentsPerDay.toFixed(2) + "/day"), h("div", { class: "muted" }, m.deployments + " succeeded"), barChart(m.buckets)),
    h("div", { class: "card", id: "dora-leadtime" }, h("div", {}, "Lead time for changes (median)"), h("div", { class: "v" }, m.leadTimes.length ? dur(m.leadTime) : "–"), h("div", { class: "muted" }, "trigger → fully promoted"), dotChart(m.leadTimes, "#0969da")),
    h("div", { class: "card", id: "dora-cfr" }, h("div", {}, "Change failure rate"), h("div", { class: "v" }, Math.round(m.changeFailureRate * 100) + "%"), h("div", { class: "muted" }, m.failures + " failed of " + (m.failures + m.deployments))),
    h("div", { class: "card", id: "dora-restore" }, h("div", {}, "Time to restore (median)"), h("div", { class: "v" }, m.restores.length ? dur(m.timeToRestore) : "–"), h("div", { class: "muted" }, "first failure signal → restored"), dotChart(m.restores, "#cf222e")));
}

let doraWindow = "7d";

async function pipelinePage(name) {
  const [p, m] = await Promise.all([api("GET", "/v1/pipelines/" + encodeURIComponent(name)), api("GET", "/v1/pipelines/" + encodeURIComponent(name) + "/metrics?window=" + doraWindow)]);
  const sel = h("select", { id: "window", onchange: (e) => { doraWindow = e.target.value; render(); } },
    ["1d", "7d", "30d", "90d"].map((w) => h("option", { value: w, selected: w === doraWindow }, w)));
  return [h("h1", {}, "Pipeline ", name, " ", h("span", { class: "muted" }, "spec v" + p.specVersion)),
    p.active.length ? h("div", { class: "notice" }, "In flight: ", p.active.map((r) => h("span", {}, relLink(r), " ", r.version, " ", status(r.status), " "))) : "",
    stagesView(p),
    h("h2", {}, "DORA metrics over ", sel), doraCards(m),
    h("h2", {}, "Releases"), releasesTable(p.recent)];
}

const eventClass = (t) => /Failed|Alarm|RolledBack|Rollback|Rejected|TimedOut|NeedsAttention|Restore/.test(t) ? "e-bad" : /Succeeded|Passed|Promoted|Approved|Settled/.test(t) ? "e-ok" : /Waiting/.test(t) ? "e-wait" : "";

function waitingApproval(events) {
  let waiting = null;
  for (const e of events) {
    if (e.type === "ApprovalWaiting") waiting = e;
    if (e.type === "Approved" || e.type === "Rejected" || e.type === "ApprovalTimedOut") waiting = null;
  }
  return waiting;
}

function baking(events) {
  const open = new Map();
  for (const e of events) {
    if (e.type === "BakeStarted" || (e.type === "Note" && /^paused at /.test(e.message || ""))) open.set(e.target, e);
    if (e.type === "BakePassed" || e.type === "Promoted" || e.type === "AlarmTriggered" || e.type === "RollbackStarted") open.delete(e.target);
  }
  return [...open.values()];
}

// dataNum reads a number from an event's data (what the control plane
// records), else with re from its message (events recorded before they
// carried data); null when neither has it.
function dataNum(e, key, re) {
  if (e.data && typeof e.data[key] === "number") return e.data[key];
  const m = re ? re.exec(e.message || "") : null;
  return m ? +m[1] : null;
}

// targetSteps folds a release's events into each target's step, weight and
// bake window (as shipwave release get does).
function targetSteps(evs) {
  const out = {};
  for (const e of evs) {
    if (!e.target) continue;
    const t = out[e.target] || (out[e.target] = { step: "pending", weight: 0 });
    switch (e.type) {
      case "TargetPrepared": t.step = "prepared"; break;
      case "TrafficShifted": { const w = dataNum(e, "weight", /(\d+)% on/); if (w !== null) t.weight = w; t.step = "shifting"; break; }
      case "BakeStarted": { const secs = dataNum(e, "seconds", /baking (\d+)s/); t.step = "baking"; t.bakeStart = Date.parse(e.time); t.bakeEnd = secs !== null ? t.bakeStart + secs * 1000 : 0; break; }
      case "BakeExtended": { const secs = dataNum(e, "seconds", null); if (t.step === "baking" && secs !== null) t.bakeEnd = Date.parse(e.time) + secs * 1000; break; }
      case "BakePassed": t.step = "baked"; t.bakeEnd = 0; break;
      case "Note": if (/^paused at /.test(e.message || "")) { t.step = "paused"; t.bakeEnd = 0; } break;
      case "Promoted": if (t.step === "paused") t.step = "shifting"; break;
      case "AlarmTriggered": t.step = "alarm"; break;
      case "HookFailed": t.step = "hook failed"; break;
      case "TargetPromoted": t.step = "promoted"; t.weight = 100; t.bakeEnd = 0; break;
      case "RollbackStarted": t.step = "rolling back"; break;
      case "RolledBack": t.step = "rolled back"; t.weight = 0; t.bakeEnd = 0; break;
      case "RestoreFailed": t.step = "restore failed"; break;
    }
  }
  return out;
}

function progressView(p, evs, running) {
  const steps = targetSteps(evs), now = Date.now();
  return h("div", { class: "stages", id: "progress" }, p.stages.map((s) =>
    h("section", { class: "stage", "data-stage": s.name }, h("h3", {}, s.name),
      s.waves.map((w) => h("div", { class: "wave" }, h("h4", {}, "wave " + w.name),
        w.targets.map((t) => {
          const x = steps[t.name] || { step: "pending", weight: 0 };
          const kids = [h("div", { class: "tname" }, t.name), h("div", {}, weightBar(x.weight), " " + x.weight + "% · ", h("b", { class: "step" }, running || x.step !== "baking" ? x.step : "ended"))];
          if (running && x.step === "baking" && x.bakeEnd) {
            const total = x.bakeEnd - x.bakeStart, done = Math.min(total, Math.max(0, now - x.bakeStart));
            kids.push(h("div", { class: "bake" }, h("span", { class: "bar" }, h("span", { style: "width:" + (total ? (100 * done) / total : 100) + "%" })), " bake " + dur(Math.max(0, x.bakeEnd - now) * 1e6) + " left"));
          }
          kids.push(h("div", {}, alarmChips(t.alarms)));
          return h("div", { class: "target", "data-target": t.name }, kids);
        }))))));
}

async function act(what, id, body) {
  try {
    await api("POST", "/v1/releases/" + encodeURIComponent(id) + "/" + what, body || {});
    flash("");
  } catch (e) { flash(e.message); }
  render();
}

async function releasePage(id) {
  const [v, info] = await Promise.all([api("GET", "/v1/releases/" + encodeURIComponent(id)), api("GET", "/v1/info")]);
  const p = await api("GET", "/v1/pipelines/" + encodeURIComponent(v.release.pipeline));
  const r = v.release, evs = v.events, running = !["SUCCEEDED", "ROLLED_BACK", "FAILED", "NEEDS_ATTENTION", "SUPERSEDED", "CANCELLED"].includes(r.status);
  const gate = running ? waitingApproval(evs) : null, bakes = running ? baking(evs) : [];
  const can = info.can || {};
  const btn = (what, label, enabled, cls) => h("button", { id: what, class: cls, disabled: !enabled || !can[what], onclick: () => act(what, id) }, label);
  return [h("h1", {}, "Release ", r.id, " ", status(r.status)),
    h("div", {}, h("a", { href: "#/p/" + r.pipeline }, r.pipeline), " · version ", h("b", {}, r.version), " · trigger " + r.trigger.kind + (r.trigger.actor ? " by " + r.trigger.actor : "") + " at " + fmtTime(r.trigger.time)),
    r.reason ? h("p", { class: "muted" }, r.reason) : "",
    gate ? h("div", { class: "notice", id: "gate" }, "Approval waiting at stage " + (gate.stage || "?") + ": approve or reject it here, or run shipwave release approve " + r.id) : "",
    bakes.length ? h("div", { class: "notice", id: "baking" }, "Baking or paused: " + bakes.map((b) => b.target).join(", ") + " (promote ends the bake or the pause; the final alarm check still runs)") : "",
    h("div", { class: "actions" },
      btn("approve", "Approve", !!gate, "primary"), btn("reject", "Reject", !!gate),
      btn("promote", "Promote", bakes.length > 0), btn("rollback", "Roll back", running, "danger"),
      btn("undo", "Undo", true), btn("retry", "Retry", !running)),
    h("h2", {}, "Progress"), progressView(p, evs, running),
    h("h2", {}, "Timeline"),
    h("ol", { class: "timeline", id: "timeline" }, evs.map((e) =>
      h("li", { class: eventClass(e.type), "data-type": e.type },
        h("time", {}, clock(e.time)), h("span", { class: "etype" }, e.type),
        [e.stage, e.wave, e.target].filter(Boolean).join(" / "), e.message ? " — " + e.message : "")))];
}

function flash(msg) {
  const el = document.getElementById("error");
  el.textContent = msg;
  el.hidden = !msg;
}

let rendering = false;
async function render() {
  if (rendering) return;
  rendering = true;
  const main = document.getElementById("main"), live = document.getElementById("live");
  try {
    const hash = location.hash.replace(/^#/, "") || "/";
    let kids;
    if (hash.startsWith("/p/")) kids = await pipelinePage(decodeURIComponent(hash.slice(3)));
    else if (hash.startsWith("/r/")) kids = await releasePage(decodeURIComponent(hash.slice(3)));
    else if (hash === "/matrix") kids = await matrix();
    else kids = await overview();
    const y = window.scrollY, focused = document.activeElement && document.activeElement.id;
    main.replaceChildren(...kids.filter(Boolean));
    window.scrollTo(0, y);
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    live.className = "";
    document.body.dataset.loaded = hash;
  } catch (e) {
    live.className = "stale";
    flash(e.message);
  } finally {
    rendering = false;
  }
}

async function whoami() {
  const input = document.getElementById("actor");
  input.value = actor();
  input.addEventListener("change", () => { localStorage.setItem("shipwave-actor", input.value.trim()); whoami(); });
  try {
    const info = await api("GET", "/v1/info");
    document.getElementById("who").textContent = (info.place || "") + " · " + (info.caller || "anonymous");
    input.hidden = info.place !== "local";
  } catch (e) { flash(e.message + (token() ? "" : " — open the dashboard with the link `local up` prints (…/#token=TOKEN)")); }
}

window.addEventListener("hashchange", render);
whoami();
render();
setInterval(render, 2000);
