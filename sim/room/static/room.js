// The room's pages: join, table, facilitator, leaderboard, debrief. Plain JS, no libraries, no internet.
// Each page polls its JSON endpoint; user text is always set as text, never as HTML.
"use strict";

const app = document.getElementById("app");
const POLL_MS = Number(app.dataset.pollMs) || 2000;

async function api(path, data) {
  const init = data === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(data)};
  try {
    const r = await fetch(path, {credentials: "same-origin", cache: "no-store", ...init});
    const json = await r.json().catch(() => ({error: `The server answered ${r.status}.`, errors: {}}));
    return {ok: r.ok, status: r.status, json};
  } catch (e) {
    return {ok: false, status: 0, json: {error: "The server cannot be reached; retrying…", errors: {}}};
  }
}

// h("div", {class: "x", onclick: fn}, "text", child, ...): an element; strings become text nodes.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Replace an element's children (arrays flattened, empty entries dropped).
function put(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false));
}

function poll(fn) {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try { await fn(); } finally { busy = false; }
  };
  tick();
  setInterval(tick, POLL_MS);
}

function setError(where, text) {
  where.textContent = text || "";
  where.hidden = !text;
}

// --- shared pieces ---------------------------------------------------------------------------------

const BOARD_COLUMNS = [
  ["rank", "#"], ["name", "Table"], ["profit", "Profit"], ["customers_lost", "Customers lost"],
  ["rep_quits", "Reps who quit"], ["reported_close_rate", "Close rate reported"],
  ["true_close_rate", "Close rate true"]];

function leaderboard(rows, mine) {
  if (!rows.length) return h("p", {class: "muted"}, "No table has joined yet.");
  const head = h("tr", {}, BOARD_COLUMNS.map(([, label]) => h("th", {}, label)));
  const body = rows.map((r) => h("tr", {class: "row" + (r.table === mine ? " mine" : ""), "data-table": r.table,
                                        "data-rank": r.rank, "data-quarters": r.quarters},
    BOARD_COLUMNS.map(([key]) => {
      const cell = h("td", {class: "c-" + key}, String(r[key]));
      if (key === "name") {
        if (r.best_profit) cell.append(h("span", {class: "badge badge-profit"}, "most profit"));
        if (r.best_reported) cell.append(h("span", {class: "badge badge-reported"}, "best-looking close rate"));
      }
      return cell;
    })));
  return h("table", {class: "leaderboard"}, h("thead", {}, head), h("tbody", {}, body));
}

function lessonLine(text) {
  return text ? h("p", {class: "lesson"}, text) : null;
}

function historyTable(state, rows) {
  if (!rows.length) return h("p", {class: "muted"}, "No quarter played yet.");
  const levers = state.levers.map((l) => l.label || l);
  const head = h("tr", {}, h("th", {}, "Quarter"), levers.map((l) => h("th", {}, l)),
    h("th", {}, `Predicted ${state.predict.label.toLowerCase()}`), h("th", {}, "Actual"), h("th", {}, "Miss"),
    h("th", {}, "Profit"), h("th", {}, "Customers lost"), h("th", {}, "Reps who quit"),
    h("th", {}, "Close rate reported"), h("th", {}, "true"));
  const names = state.levers.map((l) => l.name);
  const body = rows.map((q) => h("tr", {class: "quarter-row", "data-quarter": q.quarter},
    h("td", {}, `Q${q.quarter}` + (q.carried ? " (not locked)" : "")),
    names.map((n) => h("td", {}, q.policy[n] || "–")), h("td", {}, q.prediction), h("td", {}, q.actual),
    h("td", {}, q.miss), h("td", {}, q.profit), h("td", {}, q.customers_lost), h("td", {}, q.rep_quits),
    h("td", {}, q.reported_close_rate), h("td", {}, q.true_close_rate)));
  return h("div", {class: "wide"}, h("table", {class: "history"}, h("thead", {}, head), h("tbody", {}, body)));
}

function roomHeader(s, extra) {
  const where = s.finished ? `finished after ${s.quarter} quarters`
    : `deciding quarter ${s.deciding} of ${s.quarters_max} (${s.weeks_per_quarter} weeks each)`;
  return h("header", {class: "room-header", "data-quarter": s.quarter, "data-computing": s.computing},
    h("h1", {}, s.title, extra ? ` · ${extra}` : ""),
    h("p", {class: "muted"}, `Room ${s.code} · ${where} · ${s.accounts.toLocaleString()} accounts, ${s.reps} reps, `
      + `seed ${s.seed} for every table`));
}

// --- join ------------------------------------------------------------------------------------------

function joinPage() {
  const code = h("input", {class: "join-code", name: "code", autocomplete: "off", maxlength: 12,
                           value: app.dataset.code || "", placeholder: "e.g. K7QRM"});
  const name = h("input", {class: "join-name", name: "name", maxlength: 30, placeholder: "e.g. Table 3"});
  const error = h("p", {class: "error", hidden: true});
  const go = async (e) => {
    e.preventDefault();
    const r = await api("/api/join", {code: code.value, name: name.value});
    if (r.ok) location.href = "/table";
    else setError(error, r.json.error);
  };
  put(app, h("h1", {}, "Join the room"),
    h("form", {class: "card join", onsubmit: go},
      h("label", {}, "Room code (on the board)", code), h("label", {}, "Your table's name", name),
      h("button", {class: "join-go", type: "submit"}, "Join"), error),
    h("p", {class: "muted"}, "Lost your table? Type the same room code and the same table name to get it back."));
}

// --- a table -----------------------------------------------------------------------------------------

function leverControl(l) {
  let input;
  if (l.widget === "select") {
    input = h("select", {name: l.name}, l.choices.map(([v, label]) => h("option", {value: v, selected: v === l.value},
                                                                         label)));
  } else if (l.widget === "toggle") {
    input = h("input", {type: "checkbox", name: l.name, checked: l.value});
  } else {
    input = h("input", {type: "text", inputmode: "decimal", name: l.name, value: l.value, size: 8});
  }
  const range = l.widget === "slider" || l.widget === "number"
    ? h("span", {class: "range muted"}, `${l.min} to ${l.max}${l.unit ? " " + l.unit : ""}`) : null;
  return h("div", {class: `lever lever-${l.name}`},
    h("label", {}, h("span", {class: "lever-label"}, l.label), input, range),
    l.help ? h("div", {class: "help muted"}, l.help) : null,
    h("div", {class: `error error-${l.name}`, hidden: true}));
}

function readLevers(form, levers) {
  const out = {};
  for (const l of levers) {
    const el = form.querySelector(`[name="${l.name}"]`);
    out[l.name] = l.widget === "toggle" ? el.checked : el.value;
  }
  return out;
}

function tablePage() {
  let shownKey = "";
  const top = h("div", {});
  const form = h("form", {class: "card policy"});
  const rest = h("div", {});
  put(app, top, form, rest);

  const showErrors = (json) => {
    form.querySelectorAll(".error").forEach((e) => setError(e, ""));
    const errors = json.errors || {};
    let placed = false;
    for (const [field, text] of Object.entries(errors)) {
      const where = form.querySelector(`.error-${field}`);
      if (where) { setError(where, text); placed = true; }
    }
    setError(form.querySelector(".error-form"), placed ? "" : json.error);
    if (placed && !Object.keys(errors).every((f) => form.querySelector(`.error-${f}`))) {
      setError(form.querySelector(".error-form"), json.error);
    }
  };

  const drawForm = (s) => {
    if (s.finished) {
      put(form, h("p", {class: "done"}, "The room has finished. Thank you! The debrief is on the projector."));
      return;
    }
    if (s.computing) {
      put(form, h("p", {class: "computing"}, `Quarter ${s.computing} is running for every table…`));
      return;
    }
    if (s.locked) {
      put(form, h("p", {class: "locked"}, `Locked for quarter ${s.deciding}. Waiting for the facilitator `
        + "to run the quarter."), h("ul", {}, s.levers.map((l) => h("li", {}, `${l.label}: ${l.text}`))),
        h("p", {}, `Your prediction: ${s.prediction}${s.predict.unit ? " " + s.predict.unit : ""}`));
      return;
    }
    const prediction = h("input", {type: "text", inputmode: "decimal", class: "prediction", name: "prediction",
                                   value: s.prediction, size: 10});
    const send = async (lock) => {
      const r = await api("/api/table", {levers: readLevers(form, s.levers), prediction: prediction.value, lock});
      if (r.ok) { showErrors({}); shownKey = ""; draw(r.json); }
      else showErrors(r.json);
      const saved = form.querySelector(".saved");
      if (saved) saved.hidden = !r.ok || lock;
    };
    put(form,
      h("h2", {}, `Your policy for quarter ${s.deciding}`),
      s.levers.map(leverControl),
      h("div", {class: "lever lever-prediction"},
        h("label", {}, h("span", {class: "lever-label"}, `Your prediction: ${s.predict.label.toLowerCase()} this quarter`),
          prediction, s.predict.unit ? h("span", {class: "muted"}, s.predict.unit) : null),
        h("div", {class: "error error-prediction", hidden: true})),
      h("div", {class: "error error-policy error-levers", hidden: true}),
      h("div", {class: "buttons"},
        h("button", {type: "button", class: "save", onclick: () => send(false)}, "Save"),
        h("button", {type: "button", class: "lock primary", onclick: () => send(true)}, "Lock my choice"),
        h("span", {class: "saved muted", hidden: true}, "Saved (not locked yet).")),
      h("div", {class: "error error-form", hidden: true}));
  };

  const draw = (s) => {
    put(top, roomHeader(s, s.name), h("p", {class: "table-name", "data-table": s.table}, `Table: ${s.name}`));
    const key = [s.quarter, s.locked, s.computing, s.finished].join("/");
    if (key !== shownKey) { shownKey = key; drawForm(s); }
    put(rest, h("h2", {}, "Your quarters"), historyTable(s, s.history), h("h2", {}, "Leaderboard"),
      lessonLine(s.lesson), leaderboard(s.leaderboard, s.table));
  };

  poll(async () => {
    const r = await api("/api/table");
    if (r.ok) draw(r.json);
    else if (r.status === 403) location.href = "/";
  });
}

// --- the facilitator ------------------------------------------------------------------------------------

function hostPage() {
  (async () => {
    const r = await api("/api/host");
    if (!r.ok) { put(app, h("p", {class: "error"}, r.json.error)); return; }
    const s = r.json;
    const preset = h("select", {name: "preset"}, s.presets.map((p) => h("option", {value: p.name,
      selected: p.name === s.default_preset}, p.title)));
    const boxes = s.levers.map((l) => h("label", {class: "pick"}, h("input", {type: "checkbox", name: "lever",
      value: l.name, checked: l.default}), ` ${l.label} `, h("span", {class: "muted"}, `(${l.section})`)));
    const predict = h("select", {name: "predict"}, s.outcomes.map((o) => h("option", {value: o.name,
      selected: o.default}, o.label)));
    const seed = h("input", {type: "text", name: "seed", value: "1", size: 8});
    const title = h("input", {type: "text", name: "title", maxlength: 60, placeholder: "e.g. Spring workshop"});
    const error = h("p", {class: "error", hidden: true});
    const create = async (e) => {
      e.preventDefault();
      const levers = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
      const c = await api("/api/host/rooms", {preset: preset.value, levers, predict: predict.value,
                                              seed: seed.value, title: title.value});
      if (c.ok) location.href = `/host/room/${c.json.code}`;
      else setError(error, c.json.error);
    };
    const rooms = s.rooms.length ? h("ul", {class: "rooms"}, s.rooms.map((x) => h("li", {},
      h("a", {href: `/host/room/${x.code}`}, `${x.code}: ${x.title}`),
      ` · ${x.tables} tables · ${x.quarter} of ${x.quarters_max} quarters played${x.finished ? " · finished" : ""}`)))
      : h("p", {class: "muted"}, "No room yet.");
    put(app, h("h1", {}, "Facilitator"),
      h("form", {class: "card create-room", onsubmit: create},
        h("h2", {}, "Open a room"),
        h("label", {}, "Preset (the unit every table starts from) ", preset),
        h("fieldset", {}, h("legend", {}, "Levers the tables may move"), boxes),
        h("label", {}, "Tables predict ", predict), h("label", {}, "Seed (the same for every table) ", seed),
        h("label", {}, "Title ", title),
        h("p", {class: "muted"}, `At most ${s.tables_max} tables, ${s.quarters_max} quarters.`),
        h("button", {type: "submit", class: "create primary"}, "Open the room"), error),
      h("h2", {}, "Rooms in this file"), rooms);
  })();
}

function hostRoomPage() {
  const code = app.dataset.code;
  let advancing = false;
  const draw = (s, note) => {
    const join = `${location.origin}/?code=${s.code}`;
    const next = s.quarter + 1;
    const advance = h("button", {class: "advance primary", "data-quarter": next,
      disabled: s.finished || s.computing || advancing || !s.tables.length,
      onclick: async () => {
        advancing = true;
        draw(s, `Running quarter ${next} for ${s.tables.length} tables…`);
        const r = await api(`/api/host/rooms/${code}/advance`, {quarter: next});
        advancing = false;
        if (r.ok) draw(r.json, r.json.played ? "" : `Quarter ${next} had already been played.`);
        else draw(s, r.json.error);
      }}, s.finished ? "All quarters played" : `Run quarter ${next}`);
    const end = h("button", {class: "end", disabled: s.closed, onclick: async () => {
      if (!confirm("End the room? No more quarters can be played.")) return;
      const r = await api(`/api/host/rooms/${code}/close`, {});
      if (r.ok) draw(r.json);
    }}, "End the room");
    put(app, roomHeader(s),
      h("div", {class: "card join-info"}, h("div", {class: "muted"}, "Join at"), h("div", {class: "join-url"}, join),
        h("div", {class: "muted"}, "with the code"), h("div", {class: "room-code", "data-code": s.code}, s.code)),
      h("div", {class: "card"},
        h("p", {}, `Tables move: ${s.levers.join(", ")}. They predict: ${s.predict.label.toLowerCase()}.`),
        h("p", {class: "lock-count", "data-locked": s.locked, "data-tables": s.tables.length},
          `${s.locked} of ${s.tables.length} tables have locked quarter ${next}.`),
        h("ul", {class: "tables"}, s.tables.map((t) => h("li", {"data-status": t.status, "data-table": t.table},
          `${t.name}: ${t.status}`))),
        h("div", {class: "buttons"}, advance, end,
          h("a", {href: `/board/${s.code}`, target: "_blank"}, "Leaderboard for the projector"),
          h("a", {href: `/debrief/${s.code}`, class: "debrief-link"}, "Debrief")),
        h("p", {class: "status muted"}, note || (s.last_seconds !== null
          ? `Last quarter computed in ${s.last_seconds.toFixed(1)} s.` : ""))),
      h("h2", {}, "Leaderboard"), lessonLine(s.lesson), leaderboard(s.leaderboard));
  };
  poll(async () => {
    if (advancing) return;
    const r = await api(`/api/host/rooms/${code}`);
    if (r.ok) draw(r.json);
    else put(app, h("p", {class: "error"}, r.json.error));
  });
}

// --- projector and debrief ------------------------------------------------------------------------------------

function boardPage() {
  const code = app.dataset.code;
  poll(async () => {
    const r = await api(`/api/board/${code}`);
    if (!r.ok) { put(app, h("p", {class: "error"}, r.json.error)); return; }
    const s = r.json;
    put(app, roomHeader(s, "leaderboard"), lessonLine(s.lesson), leaderboard(s.leaderboard));
    app.classList.add("projector");
  });
}

// Reported close rate (x) against profit (y), one dot per table: the best-looking rate is rarely the best business.
function scatter(rows) {
  const pts = rows.filter((r) => r.raw.reported_close_rate !== null && r.raw.profit !== null);
  if (pts.length < 2) return null;
  const W = 640, H = 360, P = 50;
  const xs = pts.map((r) => r.raw.reported_close_rate), ys = pts.map((r) => r.raw.profit);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x) => P + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (W - 2 * P);
  const sy = (y) => H - P - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * (H - 2 * P);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "scatter");
  const add = (tag, attrs, text) => {
    const el = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text) el.textContent = text;
    svg.append(el);
  };
  add("line", {x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: "#555"});
  add("line", {x1: P, y1: P, x2: P, y2: H - P, stroke: "#555"});
  add("text", {x: W / 2, y: H - 12, "text-anchor": "middle"}, "close rate as reported (all quarters) →");
  add("text", {x: 14, y: H / 2, transform: `rotate(-90 14 ${H / 2})`, "text-anchor": "middle"}, "profit →");
  for (const r of pts) {
    add("circle", {cx: sx(r.raw.reported_close_rate), cy: sy(r.raw.profit), r: 7,
                   fill: r.best_reported ? "#D55E00" : r.best_profit ? "#009E73" : "#0072B2"});
    add("text", {x: sx(r.raw.reported_close_rate) + 10, y: sy(r.raw.profit) + 5}, r.name);
  }
  return svg;
}

function debriefPage() {
  const code = app.dataset.code;
  (async () => {
    const r = await api(`/api/host/rooms/${code}/debrief`);
    if (!r.ok) { put(app, h("p", {class: "error"}, r.json.error)); return; }
    const s = r.json;
    const board = h("div", {class: "replay-board"});
    const buttons = h("div", {class: "buttons replay"});
    // Replay the race: the leaderboard and the chart as they stood after each quarter.
    const show = (round) => {
      buttons.querySelectorAll("button").forEach((b) => b.classList.toggle("primary",
        Number(b.dataset.quarter) === round.quarter));
      put(board, h("h2", {}, `After quarter ${round.quarter}`), lessonLine(round.lesson),
        leaderboard(round.leaderboard), scatter(round.leaderboard));
    };
    put(buttons, h("span", {}, "Replay the race:"), s.rounds.map((round) => h("button", {type: "button",
      class: "replay-q", "data-quarter": round.quarter, onclick: () => show(round)}, `after Q${round.quarter}`)));
    put(app, roomHeader(s, "debrief"), buttons, board,
      h("h2", {}, "Every table, quarter by quarter: choices, prediction, outcome"),
      s.tables.map((t) => h("section", {class: "debrief-table", "data-table": t.table},
        h("h3", {}, t.name), historyTable(s, t.quarters))));
    if (s.rounds.length) show(s.rounds[s.rounds.length - 1]);
    else put(board, h("p", {class: "muted"}, "No quarter played yet."));
  })();
}

const PAGES = {join: joinPage, table: tablePage, host: hostPage, "host-room": hostRoomPage, board: boardPage,
               debrief: debriefPage};
(PAGES[app.dataset.page] || joinPage)();
