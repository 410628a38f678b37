// The fabric drawn in tiers (superspines, spines, leafs, servers) from GraphQL `topology`, kept live
// by the `events` subscription (graphql-transport-ws); a click shows one element's config
// stages, anomalies and impact (`topologyElement`).
"use strict";
const SVG = "http://www.w3.org/2000/svg";
const TIERS = ["superspine", "spine", "leaf", "server"];  // superspines: 5-stage only
const NODE_W = 96, NODE_H = 28, GAP = 18, TIER_TOP = 40, TIER_STEP = 180;
const TOPOLOGY = `query($bp: String!) { topology(blueprint: $bp) {
  blueprint impacted impactedVms
  systems { id role hostname rack deployMode serial deviceState liveness vms }
  links { id role a b aInterface bInterface state }
  anomalies { uid type subject device summary expected suppressed on link rootCause }
  rootCauses { uid kind subject summary at atKind link system symptoms } } }`;
const ELEMENT = `query($bp: String!, $id: String!) { topologyElement(blueprint: $bp, id: $id) {
  id kind configs { system stage text }
  anomalies { uid type subject device summary state expected suppressed rootCause }
  impact { kind id } } }`;
const EVENTS = `subscription($bp: String) { events(blueprint: $bp) { kind } }`;

const state = { bp: null, selected: null, refreshTimer: null, poller: null, ws: null,
  systems: [], impactedVms: [] };

async function gql(query, variables) {
  const res = await fetch("/graphql", {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

function el(tag, attrs, parent) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function layout(systems) {
  const pos = {}, width = {}, tierY = {};
  // one row per tier present (a 3-stage has no superspine row)
  TIERS.filter((t) => systems.some((s) => s.role === t))
    .forEach((t, i) => { tierY[t] = TIER_TOP + i * TIER_STEP; });
  for (const tier of TIERS) {
    const row = systems.filter((s) => s.role === tier);
    width[tier] = row.length * (NODE_W + GAP);
    row.forEach((s, i) => { pos[s.id] = { x: GAP + i * (NODE_W + GAP), y: tierY[tier] }; });
  }
  const maxW = Math.max(...Object.values(width), 400) + GAP;
  for (const tier of TIERS) {  // centre each tier
    const shift = (maxW - width[tier]) / 2;
    systems.filter((s) => s.role === tier).forEach((s) => { pos[s.id].x += shift; });
  }
  const bottom = Math.max(TIER_TOP, ...Object.values(tierY));
  return { pos, width: maxW, height: bottom + NODE_H + 40 };
}

function draw(topo) {
  const svg = document.getElementById("fabric");
  svg.replaceChildren();
  const { pos, width, height } = layout(topo.systems);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  const causeLinks = new Set(topo.rootCauses.map((c) => c.link).filter(Boolean));
  const causeSystems = new Set(topo.rootCauses.filter((c) => !c.link).map((c) => c.system));
  const anomalous = new Set(topo.anomalies.filter((a) => !a.expected && !a.suppressed)
    .map((a) => a.device));
  const impacted = new Set(topo.impacted);
  const links = el("g", { class: "links" }, svg);
  for (const l of topo.links) {
    const a = pos[l.a], b = pos[l.b];
    if (!a || !b) continue;
    const g = el("g", { "data-link": l.id }, links);
    const coords = { x1: a.x + NODE_W / 2, y1: a.y + NODE_H, x2: b.x + NODE_W / 2, y2: b.y };
    const cls = `link state-${l.state}` + (causeLinks.has(l.id) ? " cause" : "");
    el("line", { ...coords, class: cls, "data-link": l.id, "data-state": l.state }, g);
    el("line", { ...coords, class: "hit" }, g);
    const title = el("title", {}, g);
    title.textContent = `${l.id} (${l.state})`;
    g.addEventListener("click", () => select(l.id));
  }
  const nodes = el("g", { class: "nodes" }, svg);
  for (const s of topo.systems) {
    const p = pos[s.id];
    const cls = ["node", `role-${s.role}`];
    if (anomalous.has(s.id)) cls.push("anomalous");
    if (causeSystems.has(s.id)) cls.push("cause");
    if (impacted.has(s.id)) cls.push("impacted");
    const g = el("g", { class: cls.join(" "), "data-node": s.id,
      transform: `translate(${p.x},${p.y})` }, nodes);
    el("rect", { width: NODE_W, height: NODE_H }, g);
    const t = el("text", { x: NODE_W / 2, y: 18, "text-anchor": "middle" }, g);
    t.textContent = s.id;
    const title = el("title", {}, g);
    title.textContent = `${s.id} ${s.role}${s.deviceState ? " " + s.deviceState : ""}`
      + (s.vms.length ? `, ${s.vms.length} VM(s)` : "");
    g.addEventListener("click", () => select(s.id));
  }
  summary(topo);
  if (state.selected) mark(state.selected, state.lastImpact || []);
}

function text(tag, content, cls) {
  const node = document.createElement(tag);
  node.textContent = content;
  if (cls) node.className = cls;
  return node;
}

function list(items, render) {
  const ul = document.createElement("ul");
  ul.className = "items";
  for (const item of items) ul.appendChild(render(item));
  return ul;
}

function anomalyItem(a) {
  const cls = "anomaly" + (a.expected || a.suppressed ? " expected" : "")
    + (a.state === "cleared" ? " cleared" : "");
  return text("li", `${a.type} on ${a.subject}${a.state ? " (" + a.state + ")" : ""}`
    + (a.summary ? ` - ${a.summary}` : "") + (a.rootCause ? ` [cause: ${a.rootCause}]` : ""), cls);
}

function summary(topo) {
  const box = document.getElementById("summary");
  box.replaceChildren();
  const down = topo.links.filter((l) => l.state === "down").length;
  box.appendChild(text("h2", `${topo.blueprint}: ${topo.systems.length} systems, `
    + `${topo.links.length} links, ${down} down`));
  box.appendChild(text("h2", `Open root causes (${topo.rootCauses.length})`));
  box.appendChild(list(topo.rootCauses, (c) => text("li",
    `${c.kind} at ${c.subject}: ${c.symptoms} symptom(s)` + (c.summary ? ` - ${c.summary}` : ""))));
  box.appendChild(text("h2", `Raised anomalies (${topo.anomalies.length})`));
  box.appendChild(list(topo.anomalies, anomalyItem));
  if (topo.impacted.length) {
    box.appendChild(text("h2", "Impacted servers"));
    box.appendChild(text("p", topo.impacted.join(", ")));
  }
  if (topo.impactedVms.length) {
    box.appendChild(text("h2", `Impacted VMs (${topo.impactedVms.length})`));
    box.appendChild(text("p", topo.impactedVms.join(", "), "impacted-vms"));
  }
}

function mark(id, impact) {
  document.querySelectorAll(".selected, .dependent").forEach((n) => {
    n.classList.remove("selected", "dependent");
  });
  const own = document.querySelector(`[data-node="${CSS.escape(id)}"]`)
    || document.querySelector(`line[data-link="${CSS.escape(id)}"]`);
  if (own) own.classList.add("selected");
  for (const d of impact) {
    if (d.kind === "bgp_session" || d.kind === "virtual_network" || d.kind.startsWith("vm_")) {
      continue;
    }
    const sel = d.kind === "link" ? `line[data-link="${CSS.escape(d.id)}"]`
      : `[data-node="${CSS.escape(d.id)}"]`;
    const node = document.querySelector(sel);
    if (node && d.id !== id) node.classList.add("dependent");
  }
}

async function select(id) {
  state.selected = id;
  const box = document.getElementById("details");
  box.replaceChildren(text("p", `loading ${id}…`, "hint"));
  let data;
  try {
    data = (await gql(ELEMENT, { bp: state.bp, id })).topologyElement;
  } catch (err) {
    box.replaceChildren(text("p", String(err), "anomaly"));
    return;
  }
  state.lastImpact = data.impact;
  mark(id, data.impact);
  box.replaceChildren(text("h2", `${data.kind} ${data.id}`));
  box.appendChild(text("h2", `Anomalies (${data.anomalies.length})`));
  box.appendChild(list(data.anomalies, anomalyItem));
  const vms = (state.systems.find((s) => s.id === data.id) || { vms: [] }).vms;
  if (vms.length) {
    const hurt = new Set(state.impactedVms);
    box.appendChild(text("h2", `VMs (${vms.length})`));
    box.appendChild(list(vms, (v) => text("li", v + (hurt.has(v) ? " (impacted)" : ""),
      hurt.has(v) ? "anomaly" : "")));
  }
  box.appendChild(text("h2", `Impact if it fails (${data.impact.length})`));
  box.appendChild(list(data.impact, (d) => text("li", `${d.kind.replaceAll("_", " ")} ${d.id}`)));
  box.appendChild(text("h2", `Config stages (${data.configs.length})`));
  for (const c of data.configs) {
    const det = document.createElement("details");
    det.appendChild(text("summary", `${c.system}: ${c.stage}`));
    det.appendChild(text("pre", c.text || ""));
    box.appendChild(det);
  }
  box.dataset.element = id;
}

async function refresh() {
  const data = await gql(TOPOLOGY, { bp: state.bp });
  state.systems = data.topology.systems;
  state.impactedVms = data.topology.impactedVms;
  draw(data.topology);
  document.body.dataset.loaded = String(Date.now());
}

function refreshSoon() {  // coalesce bursts of events into one read
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => refresh().catch(console.error), 250);
}

function setLive(text_, on) {
  const live = document.getElementById("live");
  live.textContent = text_;
  live.className = on ? "live" : "live off";
}

function subscribe() {
  if (state.ws) state.ws.close();
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
  state.ws = gqlSubscribe(url, EVENTS, { bp: state.bp }, {
    open: () => setLive("live", true),
    next: () => refreshSoon(),
    error: () => {  // no subscription on this server: poll instead
      setLive("polling every 3 s", false);
      clearInterval(state.poller);
      state.poller = setInterval(refreshSoon, 3000);
    },
    close: () => { setLive("reconnecting…", false); setTimeout(subscribe, 3000); },
  }, new URLSearchParams(location.search).get("token") || "dev-viewer");
}

async function start() {
  const params = new URLSearchParams(location.search);
  const names = (await gql("{ blueprints }", {})).blueprints;
  state.bp = params.get("blueprint") || (names.includes("demo") ? "demo" : names[0]);
  const select_ = document.getElementById("blueprint");
  for (const n of names) {
    const opt = document.createElement("option");
    opt.value = opt.textContent = n;
    opt.selected = n === state.bp;
    select_.appendChild(opt);
  }
  select_.addEventListener("change", () => { location.search = `?blueprint=${select_.value}`; });
  await refresh();
  subscribe();
}

start().catch((err) => {
  document.getElementById("details").replaceChildren(text("p", String(err), "anomaly"));
});
