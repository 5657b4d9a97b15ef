// The Audit view: read a decision (or decide a loaded case) as a tree; compare one case under two
// versions of a policy (POST /v1/compare) and show what changed, step by step.

import { $, h, replace } from "./dom.js";
import { api } from "./api.js";
import { t, L, lang } from "./i18n.js";
import { state, on, editedFiles } from "./state.js";
import { renderDecision, renderTree, statusBadge, resultAmount, kindWord, measureName, findStep } from "./trace.js";
import { formatResult, formatValue } from "./format.js";
import { showError } from "./errors.js";

let loaded = null;      // {kind: "decision"|"case", data, text?, name}
let shown = null;       // the decision shown (for re-rendering on a language change)
let compared = null;    // the last /v1/compare answer

/** What a pasted or loaded text is: a decision, a case (JSON), or case text (YAML) for the server. */
function classify(text, name) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  let data;
  try {
    data = JSON.parse(trimmed);
  } catch {
    // not JSON: a YAML case file, read by the server's case loader
    return { kind: "case", data: trimmed, name };
  }
  if (data && typeof data === "object" && !Array.isArray(data)) {
    if (Array.isArray(data.results)) return { kind: "decision", data, name };
    if (data.case && typeof data.case === "object" && Array.isArray(data.case.claims)) {
      return { kind: "case", data: data.case, asOf: data.as_of, name };
    }
    if (Array.isArray(data.claims)) return { kind: "case", data, name };
  }
  throw new Error(t("audit.badText", { msg: "not a decision or a case" }));
}

function policyFor(decision) {
  const id = decision && decision.policy && decision.policy.id;
  if (id && state.policy && state.policy.id === id) return state.policy;
  return state.policy;
}

function renderShown() {
  const out = $("#audit-out");
  if (!shown) {
    replace(out);
    return;
  }
  const d = shown;
  const parts = [renderDecision(d, { policy: policyFor(d) })];
  if ((d.results || []).length && !(d.results || []).some((r) => r.trace)) {
    parts.unshift(h("p", { class: "alert alert-info" }, t("audit.noTrace")));
  }
  replace(out, parts);
}

async function read() {
  const errors = $("#audit-errors");
  showError(errors, null);
  try {
    loaded = classify($("#audit-text").value, loaded && loaded.name);
  } catch (err) {
    showError(errors, err);
    return;
  }
  renderCaseSource();
  if (!loaded) {
    showError(errors, new Error(t("audit.nothing")));
    return;
  }
  if (loaded.kind === "decision") {
    shown = loaded.data;
    renderShown();
    return;
  }
  const button = $("#audit-read");
  button.disabled = true;
  try {
    const body = { policy: state.policyId, case: loaded.data, trace: true };
    if (loaded.asOf) body.as_of = loaded.asOf;
    shown = await api.decide(body);
    renderShown();
  } catch (err) {
    showError(errors, err);
  } finally {
    button.disabled = false;
  }
}

// ---- compare --------------------------------------------------------------------------------

function sideOptions(select, preferred) {
  const options = [];
  for (const p of state.policies) {
    options.push({ value: `policy:${p.id}`, text: t("audit.asLoaded", { id: p.id }) });
  }
  if (state.policyId) options.push({ value: `edits:${state.policyId}`, text: t("audit.withEdits", { id: state.policyId }) });
  const keep = select.value || preferred;
  replace(select, options.map((o) => h("option", { value: o.value, selected: o.value === keep }, o.text)));
  if (!options.some((o) => o.value === keep) && options.length) select.value = options[0].value;
}

function renderSides() {
  sideOptions($("#compare-left"), `policy:${state.policyId}`);
  sideOptions($("#compare-right"), `edits:${state.policyId}`);
  const edited = editedFiles();
  $("#compare-edits").textContent = edited ? t("draft.editedFiles", { files: Object.keys(edited).join(", ") })
    : t("audit.editsNone");
  renderCaseSource();
}

function side(value) {
  const [kind, id] = String(value).split(/:(.*)/s);
  const out = { policy: id };
  if (kind === "edits") {
    const files = editedFiles();
    if (files) out.files = files;
  }
  return out;
}

/** The case to compare and where it is from: the case loaded here, else the Decide view's (when it has a
 * claim), else the Draft view's try panel's; {error} when that one is not JSON; null when there is none. */
function caseForCompare() {
  if (loaded && loaded.kind === "case") return { case: loaded.data, as_of: loaded.asOf, from: "loaded" };
  const fromForm = state.caseFromForm ? state.caseFromForm() : null;
  if (fromForm && fromForm.claims && fromForm.claims.length) return { case: fromForm, from: "form", n: fromForm.claims.length };
  const fromTry = state.caseFromTry ? state.caseFromTry() : null;
  if (fromTry) return { ...fromTry, from: "try" };
  return null;
}

/** Say, before Compare is pressed, which case it will decide. */
function renderCaseSource() {
  const c = caseForCompare();
  $("#compare-case").textContent = c ? t(`audit.caseFrom.${c.from}`, { n: c.n }) : t("audit.caseFrom.none");
}

async function compare() {
  const errors = $("#audit-errors");
  showError(errors, null);
  const c = caseForCompare();
  renderCaseSource();
  if (!c || c.error) {
    showError(errors, new Error(c ? c.error : loaded && loaded.kind === "decision" ? t("audit.needCase") : t("audit.nothing")));
    return;
  }
  const button = $("#compare-run");
  button.disabled = true;
  button.textContent = t("audit.comparing");
  try {
    const body = { case: c.case, left: side($("#compare-left").value), right: side($("#compare-right").value) };
    if (c.as_of) body.as_of = c.as_of;
    compared = await api.compare(body);
    renderCompare();
  } catch (err) {
    compared = null;
    renderCompare();
    showError(errors, err);
  } finally {
    button.disabled = false;
    button.textContent = t("audit.compareRun");
  }
}

const MONEY_FIELDS = new Set(["total", "amount", "ceiling"]);

/** A path element's name as the trace tree names steps: kind:id, kind:id#n for the n-th repeat. */
function stepName(el) {
  if (el && typeof el === "object") {
    return `${el.kind}:${el.id}${el.occurrence && el.occurrence > 1 ? `#${el.occurrence}` : ""}`;
  }
  return String(el);
}

function pathNames(change) {
  return (change.path || []).map(stepName);
}

/** The step a change points at, on the side that has it. */
function changedStep(decision, change) {
  const r = ((decision && decision.results) || []).find((x) => x.claim === change.claim);
  return r && r.trace ? findStep(r.trace, pathNames(change)) : null;
}

/** The step's names in words: each path element's kind, and its label where there is one (else its id). */
function pathWords(change, left, right) {
  const words = [];
  const path = change.path || [];
  const named = (kind, name) => [kindWord(kind), name ? [" ", h("span", { "data-from": "data" }, name)] : null];
  if (!path.length && change.claim !== null && change.claim !== undefined) words.push(t("audit.claimResult"));
  for (let i = 0; i < path.length; i += 1) {
    const el = path[i];
    if (el && typeof el === "object") {
      words.push(named(el.kind, el.label ? L(el.label) : el.id));
      continue;
    }
    const sub = { ...change, path: path.slice(0, i + 1) };
    const node = changedStep(left, sub) || changedStep(right, sub);
    const [kind, id] = String(el).split(/:(.*)/s);
    words.push(node && node.label ? named(node.kind, L(node.label)) : named(kind, id));
  }
  if (change.field) words.push(t(`field.${change.field}`) === `field.${change.field}` ? change.field : t(`field.${change.field}`));
  return words;
}

/** One side of a change, formatted by the types its step declares. */
function changeValue(change, side, other, node) {
  const v = change[side];
  const types = (node && node.types) || {};
  if (v === undefined) return "—";
  if (v === null) return change.kind === "changed" ? t("value.missing") : "—";
  if (!(change.path || []).length && MONEY_FIELDS.has(change.field)) return formatValue(v, "money");
  if (change.field === "status") return t(`status.${v}`) === `status.${v}` ? String(v) : t(`status.${v}`);
  if (change.field === "label") return L(v);
  if (change.field === "citation") return `${v.article || ""} 「${v.text || ""}」`;
  if (change.field === "notes" && lang() === "zh" && Array.isArray(change[`${side}_zh`])) return change[`${side}_zh`].join("; ");
  if (change.field === "reasons" && Array.isArray(v)) return v.map((x) => x[lang()] || x.code).join("; ") || "—";
  if (change.field === "inputs" && typeof v === "object") {
    // only the inputs that differ
    const o = (other && typeof other === "object") ? other : {};
    const keys = Object.keys(v).filter((k) => JSON.stringify(v[k]) !== JSON.stringify(o[k]));
    const own = (lang() === "zh" && node && node.input_names_zh) || {};  // the engine's own names, in Chinese
    return (keys.length ? keys : Object.keys(v)).map((k) => `${own[k] || k} = ${formatValue(v[k], types[k])}`).join(", ");
  }
  if (change.field === "result") return formatResult(v, types);
  if (!change.field && typeof v === "object") {
    // a step or a claim on one side only
    const bits = [];
    if (v.label) bits.push(L(v.label));
    if (v.expression) bits.push(v.expression);
    if (v.status) bits.push(String(v.status));
    if (v.amount !== undefined && v.amount !== null) bits.push(formatValue(v.amount, "money"));
    if (v.result !== undefined && v.result !== null) bits.push(formatResult(v.result, types));
    return bits.join(" · ") || "—";
  }
  if (Array.isArray(v)) return v.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join("; ");
  if (typeof v === "object") return Object.entries(v).map(([k, x]) => `${k} = ${formatValue(x, types[k])}`).join(", ");
  return formatValue(v, types.result);
}

/** Mark, in a rendered tree, the steps the changes point at, and open the way to them. */
function markChanged(treeEl, changes) {
  for (const c of changes) {
    if (!c.path || !c.path.length) continue;
    const hit = treeEl.querySelector(`details.step[data-path="${CSS.escape(pathNames(c).join("/"))}"]`);
    if (!hit) continue;
    hit.classList.add("changed");
    for (let el = hit.parentElement; el && el !== treeEl; el = el.parentElement) if (el.tagName === "DETAILS") el.open = true;
  }
}

function renderCompare() {
  const out = $("#compare-out");
  if (!compared) {
    replace(out);
    return;
  }
  const r = compared;
  const left = r.left || { results: [] };
  const right = r.right || { results: [] };
  const changes = r.changes || [];
  const same = r.same === true || (!changes.length && r.same !== false);
  const parts = [h("div", { class: ["compare-head", same ? "same" : "differs"] },
    h("h2", null, t("audit.compareResult")),
    h("span", { class: ["badge", same ? "status-eligible" : "status-undetermined"] },
      same ? t("audit.same") : t("audit.changes", { n: changes.length })))];

  // claims side by side
  const byClaim = new Map();
  for (const x of left.results || []) byClaim.set(x.claim, { left: x });
  for (const x of right.results || []) byClaim.set(x.claim, { ...(byClaim.get(x.claim) || {}), right: x });
  const cell = (x) => (x ? h("td", null, statusBadge(x.status), " ", h("span", { class: "num" }, resultAmount(x))) : h("td", null, "—"));
  parts.push(h("table", { class: "summary compare-summary" },
    h("thead", null, h("tr", null, h("th", null, t("decide.claimCol")), h("th", null, t("decide.measureCol")),
      h("th", null, t("audit.leftCol")), h("th", null, t("audit.rightCol")))),
    h("tbody", null, Array.from(byClaim.entries()).map(([claim, pair]) => {
      const differs = !pair.left || !pair.right || pair.left.status !== pair.right.status || pair.left.amount !== pair.right.amount;
      return h("tr", { class: differs ? "differs" : null, dataset: { claim: String(claim) } },
        h("td", { "data-from": "data" }, String(claim)), h("td", null, measureName(state.policy, (pair.left || pair.right).measure)),
        cell(pair.left), cell(pair.right));
    })),
    h("tfoot", null, h("tr", null, h("th", { colspan: "2" }, t("decide.total")),
      h("td", { class: "num" }, formatValue(left.total, "money")), h("td", { class: "num" }, formatValue(right.total, "money"))))));

  // the changes, step by step
  if (changes.length) {
    // On a phone the rows are laid out as blocks (app.css): the roles keep them a table for assistive technology.
    const cell = (attrs, ...content) => h("td", { role: "cell", ...attrs }, ...content);
    parts.push(h("table", { class: "changes", role: "table", "aria-label": t("audit.changesCaption") },
      h("thead", { role: "rowgroup" }, h("tr", { role: "row" },
        [t("decide.claimCol"), t("audit.step"), t("audit.kind"), t("audit.leftCol"), t("audit.rightCol")]
          .map((text) => h("th", { role: "columnheader", scope: "col" }, text)))),
      h("tbody", { role: "rowgroup" }, changes.map((c) => {
        const node = changedStep(right, c) || changedStep(left, c);
        return h("tr", { role: "row", class: `change-${c.kind || "changed"}`, dataset: { claim: String(c.claim ?? ""), field: c.field || "" } },
          c.claim === null || c.claim === undefined ? cell(null, t("decide.total")) : cell({ "data-from": "data" }, String(c.claim)),
          cell({ class: "path" }, pathWords(c, left, right).map((w, i) => [i ? h("span", { class: "sep" }, " › ") : null, h("span", null, w)])),
          cell({ class: "kind-cell" }, h("span", { class: ["badge", `change-badge-${c.kind || "changed"}`] }, t(`audit.kind.${c.kind || "changed"}`))),
          cell({ class: "left-val", "data-label": t("audit.leftCol"), "data-from": "data" }, changeValue(c, "left", c.right, changedStep(left, c) || node)),
          cell({ class: "right-val", "data-label": t("audit.rightCol"), "data-from": "data" }, changeValue(c, "right", c.left, changedStep(right, c) || node)));
      }))));

    // the derivations of the claims that changed, left and right, the changed steps marked
    const changedClaims = [...new Set(changes.map((c) => c.claim).filter((c) => c !== null && c !== undefined))];
    for (const claim of changedClaims) {
      const l = (left.results || []).find((x) => x.claim === claim);
      const rr = (right.results || []).find((x) => x.claim === claim);
      const ctx = { policy: state.policy, select() {} };
      const lt = l && l.trace ? renderTree(l.trace, ctx) : h("p", { class: "hint" }, "—");
      const rt = rr && rr.trace ? renderTree(rr.trace, ctx) : h("p", { class: "hint" }, "—");
      const mine = changes.filter((c) => c.claim === claim);
      if (lt.classList.contains("tree")) markChanged(lt, mine);
      if (rt.classList.contains("tree")) markChanged(rt, mine);
      parts.push(h("section", { class: "compare-trees", dataset: { claim: String(claim) } },
        h("h3", null, `${claim} · ${measureName(state.policy, (l || rr || {}).measure)}`),
        h("div", { class: "two-col" },
          h("div", { class: "card" }, h("h4", null, t("audit.leftCol")), lt),
          h("div", { class: "card" }, h("h4", null, t("audit.rightCol")), rt))));
    }
  }
  replace(out, parts);
}

export function initAudit() {
  $("#audit-file").addEventListener("change", async (e) => {
    const file = e.target.files && e.target.files[0];
    if (!file) return;
    const text = await file.text();
    $("#audit-text").value = text;
    $("#audit-file-name").textContent = t("audit.loaded", { name: file.name });
    loaded = { name: file.name };
    e.target.value = "";
    await read();
  });
  $("#audit-read").addEventListener("click", read);
  $("#audit-from-form").addEventListener("click", async () => {
    if (!state.caseFromForm) return;
    $("#audit-text").value = JSON.stringify(state.caseFromForm(), null, 2);
    loaded = null;
    await read();
  });
  $("#compare-run").addEventListener("click", compare);
  on("policy", () => {
    shown = null;
    compared = null;
    renderSides();
    renderShown();
    renderCompare();
  });
  on("edits", renderSides);
  on("view", (v) => { if (v === "audit") renderSides(); });
  return {
    onLang() {
      renderSides();
      renderShown();
      renderCompare();
    },
  };
}
