// The Decide view: a form generated from the case schema, POST /v1/decide with the trace, the decision
// with its derivation and the cited source text, and the HTML report for download.

import { $, $$, h, replace, saveFile } from "./dom.js";
import { api } from "./api.js";
import { t, L } from "./i18n.js";
import { state, on } from "./state.js";
import { applicantFields, claimFieldsByMeasure } from "./schema.js";
import { isMoneyText, normalizeMoney, previewMoney } from "./format.js";
import { renderDecision } from "./trace.js";
import { showError } from "./errors.js";

const DATE = /^\d{4}-\d{2}-\d{2}$/;

let uid = 0;
const form = {
  caseId: "",
  asOf: "",
  applicant: {},   // key -> text | true | false
  claims: [],      // {uid, measure, id, date, project, facts: {key: value}}
  history: [],     // {uid, id, measure, date, amount, project}
};
let fields = { applicant: [], claims: new Map() };
let lastDecision = null;

const EXAMPLE = {
  caseId: "example-compute-voucher",
  applicant: { id: "acme-ai", name: "廈門某人工智能有限公司", kind: "enterprise", annual_revenue: "5億" },
  claims: [
    { measure: "compute-voucher", id: "c1", date: "2025-06-01", facts: { compute_spend: "800萬", service_qualified: true } },
    { measure: "compute-voucher", id: "c2", date: "2025-09-15", facts: { compute_spend: "600萬", service_qualified: true } },
  ],
  history: [{ id: "h1", measure: "compute-voucher", date: "2025-04-30", amount: "100萬" }],
};

function measures() {
  return (state.policy && state.policy.measures) || [];
}

function measureOptions(selected) {
  return measures().map((m) => h("option", { value: m.id, selected: m.id === selected },
    `${m.article ? `${m.article} ` : ""}${L(m.title) || m.id} · ${m.id}`));
}

function nextClaimId() {
  const used = new Set(form.claims.map((c) => c.id));
  let n = form.claims.length + 1;
  while (used.has(`c${n}`)) n += 1;
  return `c${n}`;
}

// ---- fields ---------------------------------------------------------------------------------

function fieldId(path) {
  return `f-${path.replace(/[^A-Za-z0-9_-]/g, "-")}`;
}

/** One labelled input bound to `obj[key]`; `path` is the engine's path for the value (claims[0].date). */
function fieldEl(spec, obj, key, path) {
  const id = fieldId(path);
  const value = obj[key];
  const hint = h("span", { class: "field-hint" });
  const error = h("span", { class: "field-error", role: "alert" });
  let input;
  const set = (v) => {
    if (v === "" || v === null || v === undefined) delete obj[key];
    else obj[key] = v;
  };
  if (spec.kind === "bool") {
    input = h("select", { id, dataset: { path, kind: "bool" } },
      h("option", { value: "", selected: value === undefined }, t("field.unknown")),
      h("option", { value: "true", selected: value === true }, t("field.true")),
      h("option", { value: "false", selected: value === false }, t("field.false")));
    input.addEventListener("change", () => set(input.value === "" ? null : input.value === "true"));
  } else if (spec.kind === "enum") {
    input = h("select", { id, dataset: { path, kind: "enum" } },
      h("option", { value: "", selected: value === undefined }, t("field.unknown")),
      (spec.values || []).map((v) => h("option", { value: v, selected: value === v }, v)));
    input.addEventListener("change", () => set(input.value));
  } else {
    input = h("input", { id, type: "text", value: value ?? "", dataset: { path, kind: spec.kind },
      inputmode: spec.kind === "money" || spec.kind === "number" ? "decimal" : null });
    const update = () => {
      set(input.value.trim());
      validate(spec, input, hint, error);
    };
    input.addEventListener("input", update);
    if (spec.kind === "money") input.placeholder = t("field.moneyHint");
    else if (spec.kind === "date") input.placeholder = t("field.dateHint");
    else if (spec.kind === "rate") input.placeholder = "30%";
    else if (spec.kind === "duration") input.placeholder = t("field.durationHint");
    else if (spec.kind === "list") input.placeholder = t("field.listHint");
  }
  const unit = spec.kind === "money" ? t("field.yuan") : spec.kind === "rate" ? "%" : spec.unit;
  const label = h("label", { class: "field-label", for: id }, L(spec.label) || spec.key);
  const inputRow = h("div", { class: "input-row" }, input, unit ? h("span", { class: "unit" }, unit) : null);
  const el = h("div", { class: ["field", `kind-${spec.kind}`], dataset: { field: path } },
    label, inputRow, spec.hint ? h("span", { class: "field-note" }, spec.hint) : null, hint, error);
  if (spec.kind !== "bool" && spec.kind !== "enum") validate(spec, input, hint, error);
  return el;
}

function validate(spec, input, hint, error) {
  const text = input.value.trim();
  let bad = false;
  hint.textContent = "";
  error.textContent = "";
  delete error.dataset.from;
  if (spec.kind === "money" && text) {
    const preview = previewMoney(text);
    if (!isMoneyText(text)) bad = true;
    else if (preview) hint.textContent = `= ${preview}`;
  } else if (spec.kind === "date" && text && !DATE.test(text)) {
    bad = true;
  }
  input.classList.toggle("invalid", bad);
  input.setAttribute("aria-invalid", bad ? "true" : "false");
  if (bad) error.textContent = spec.kind === "money" ? t("field.moneyBad") : t("field.dateHint");
  return !bad;
}

// ---- rendering ------------------------------------------------------------------------------

function renderCaseMeta() {
  replace($("#case-meta-fields"),
    fieldEl({ key: "caseId", kind: "text", label: { zh: t("decide.caseId"), en: t("decide.caseId") } }, form, "caseId", "case"),
    fieldEl({ key: "asOf", kind: "date", label: { zh: t("decide.asOf"), en: t("decide.asOf") }, hint: t("decide.asOfHint") },
      form, "asOf", "as_of"));
}

function renderApplicant() {
  const a = form.applicant;
  replace($("#applicant-fields"),
    fieldEl({ key: "id", kind: "text", label: { zh: t("field.id"), en: t("field.id") } }, a, "id", "applicant.id"),
    fieldEl({ key: "name", kind: "text", label: { zh: t("field.name"), en: t("field.name") } }, a, "name", "applicant.name"),
    fields.applicant.map((spec) => fieldEl(spec, a, spec.key, `applicant.${spec.key}`)));
}

function claimCard(claim, index) {
  const m = measures().find((x) => x.id === claim.measure);
  const select = h("select", { id: fieldId(`claims[${index}].measure`), dataset: { path: `claims[${index}].measure` } },
    measureOptions(claim.measure));
  select.addEventListener("change", () => {
    claim.measure = select.value;
    const keep = new Set((fields.claims.get(claim.measure) || []).map((f) => f.key));
    for (const k of Object.keys(claim.facts)) if (!keep.has(k)) delete claim.facts[k];
    renderClaims();
  });
  const remove = h("button", { type: "button", class: "btn btn-small btn-quiet remove-claim",
    onclick: () => { form.claims.splice(index, 1); renderClaims(); } }, t("decide.removeClaim"));
  const factFields = (fields.claims.get(claim.measure) || []).map((spec) =>
    fieldEl(spec, claim.facts, spec.key, `claims[${index}].${spec.key}`));
  return h("fieldset", { class: "card claim-form", dataset: { claimIndex: String(index), measure: claim.measure } },
    h("legend", null, t("decide.claim", { n: index + 1 }), m ? h("span", { class: "legend-sub" }, ` · ${L(m.title)}`) : null),
    h("div", { class: "claim-form-tools" }, remove),
    h("div", { class: "field-grid" },
      h("div", { class: "field field-wide" }, h("label", { class: "field-label", for: select.id }, t("decide.measure")),
        h("div", { class: "input-row" }, select)),
      fieldEl({ key: "id", kind: "text", label: { zh: t("decide.claimId"), en: t("decide.claimId") } }, claim, "id", `claims[${index}].id`),
      fieldEl({ key: "date", kind: "date", label: { zh: t("decide.date"), en: t("decide.date") } }, claim, "date", `claims[${index}].date`),
      fieldEl({ key: "project", kind: "text", label: { zh: t("decide.project"), en: t("decide.project") }, hint: t("decide.projectHint") },
        claim, "project", `claims[${index}].project`)),
    m && m.quote ? h("p", { class: "measure-quote", "data-from": "data" }, h("span", { class: "article" }, m.article || ""), ` 「${m.quote}」`) : null,
    h("p", { class: "facts-head" }, t("decide.measureFacts")),
    factFields.length ? h("div", { class: "field-grid" }, factFields) : h("p", { class: "hint" }, t("decide.noFacts")));
}

function renderClaims() {
  const box = $("#claims-box");
  if (!form.claims.length) {
    replace(box, h("p", { class: "hint card empty-claims" }, t("decide.noClaims")));
  } else {
    replace(box, form.claims.map(claimCard));
  }
  $("#download-report").disabled = !form.claims.length;
}

function historyRow(item, index) {
  const spec = (key, kind, label) => ({ key, kind, label: { zh: label, en: label } });
  const select = h("select", { id: fieldId(`history[${index}].measure`), dataset: { path: `history[${index}].measure` } },
    measureOptions(item.measure));
  select.addEventListener("change", () => { item.measure = select.value; });
  return h("div", { class: "history-row field-grid" },
    h("div", { class: "field" }, h("label", { class: "field-label", for: select.id }, t("decide.measure")), h("div", { class: "input-row" }, select)),
    fieldEl(spec("id", "text", t("decide.historyId")), item, "id", `history[${index}].id`),
    fieldEl(spec("date", "date", t("decide.date")), item, "date", `history[${index}].date`),
    fieldEl(spec("amount", "money", t("decide.historyAmount")), item, "amount", `history[${index}].amount`),
    fieldEl(spec("project", "text", t("decide.project")), item, "project", `history[${index}].project`),
    h("div", { class: "field" }, h("span", { class: "field-label" }, "\u00a0"),
      h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => { form.history.splice(index, 1); renderHistory(); } },
        t("decide.removeClaim"))));
}

function renderHistory() {
  replace($("#history-rows"), form.history.map(historyRow));
}

function renderForm() {
  replace($("#add-measure"), measureOptions($("#add-measure").value || "compute-voucher"));
  renderCaseMeta();
  renderApplicant();
  renderClaims();
  renderHistory();
}

function renderOutput() {
  const out = $("#decision-out");
  if (!lastDecision) {
    replace(out, h("p", { class: "empty" }, t("decide.empty")));
    return;
  }
  replace(out, renderDecision(lastDecision, { policy: state.policy }));
}

// ---- the case -------------------------------------------------------------------------------

function value(v, kind) {
  if (typeof v !== "string") return v;
  if (kind === "money") return normalizeMoney(v);
  // a list typed as "AI, robotics" (or with 、 or ，): its items, each converted by the engine
  if (kind === "list") return v.split(/[,，、;；]/).map((x) => x.trim()).filter(Boolean);
  return v;
}

/** The case the form holds, as the API takes it (money as text; the engine converts it). */
export function caseFromForm() {
  const out = {};
  if (form.caseId) out.case = form.caseId;
  const applicant = {};
  for (const spec of [{ key: "id" }, { key: "name" }, ...fields.applicant]) {
    const v = form.applicant[spec.key];
    if (v !== undefined && v !== "") applicant[spec.key] = value(v, spec.kind);
  }
  if (Object.keys(applicant).length) out.applicant = applicant;
  out.claims = form.claims.map((c) => {
    const claim = {};
    if (c.id) claim.id = c.id;
    claim.measure = c.measure;
    if (c.date) claim.date = c.date;
    if (c.project) claim.project = c.project;
    for (const spec of fields.claims.get(c.measure) || []) {
      const v = c.facts[spec.key];
      if (v !== undefined && v !== "") claim[spec.key] = value(v, spec.kind);
    }
    return claim;
  });
  const history = form.history.map((x) => {
    const item = { measure: x.measure };
    if (x.id) item.id = x.id;
    if (x.date) item.date = x.date;
    if (x.amount) item.amount = normalizeMoney(x.amount);
    if (x.project) item.project = x.project;
    return item;
  });
  if (history.length) out.history = history;
  return out;
}

function requestBody(extra = {}) {
  const body = { policy: state.policyId, case: caseFromForm(), ...extra };
  if (form.asOf) body.as_of = form.asOf;
  return body;
}

function clearFieldErrors() {
  for (const el of $$(".field.has-error")) {
    el.classList.remove("has-error");
    const err = el.querySelector(".field-error");
    if (err) {
      err.textContent = "";
      delete err.dataset.from;
    }
  }
}

function markFieldErrors(err) {
  for (const p of (err && err.problems) || []) {
    // "case.claims[0].date" is a field's; "case" is the whole case's, shown above the form only
    if (!p.path || !String(p.path).startsWith("case.")) continue;
    const path = String(p.path).slice("case.".length);
    const box = document.querySelector(`[data-field="${CSS.escape(path)}"]`);
    if (!box) continue;
    box.classList.add("has-error");
    const slot = box.querySelector(".field-error");
    if (slot) {
      slot.textContent = `${p.message || ""}${p.hint ? ` — ${p.hint}` : ""}`;
      slot.dataset.from = "engine";
    }
  }
}

function formValid() {
  return !$$("#case-form input.invalid").length;
}

async function submit(event) {
  event.preventDefault();
  const errors = $("#form-errors");
  showError(errors, null);
  clearFieldErrors();
  if (!form.claims.length) {
    showError(errors, new Error(t("decide.noClaims")));
    return;
  }
  if (!formValid()) {
    showError(errors, new Error(t("decide.invalid")));
    return;
  }
  const button = $("#decide-submit");
  button.disabled = true;
  button.textContent = t("decide.deciding");
  try {
    lastDecision = await api.decide(requestBody({ trace: true }));
    renderOutput();
    if (window.matchMedia("(max-width: 1000px)").matches) $("#decision-out").scrollIntoView({ behavior: "smooth" });
  } catch (err) {
    showError(errors, err);
    markFieldErrors(err);
  } finally {
    button.disabled = false;
    button.textContent = t("decide.submit");
  }
}

async function downloadReport() {
  const errors = $("#form-errors");
  showError(errors, null);
  try {
    const blob = await api.decideHtml(requestBody({ trace: true }));
    const name = `${(form.caseId || "decision").replace(/[^\w.-]+/g, "_")}.html`;
    saveFile(name, blob.type ? blob : new Blob([blob], { type: "text/html" }));
  } catch (err) {
    showError(errors, err);
  }
}

function fillExample() {
  const ex = structuredClone(EXAMPLE);
  const known = new Set(measures().map((m) => m.id));
  form.caseId = ex.caseId;
  form.asOf = "";
  form.applicant = ex.applicant;
  form.claims = ex.claims.filter((c) => known.has(c.measure)).map((c) => ({ uid: ++uid, project: "", ...c }));
  form.history = ex.history.filter((x) => known.has(x.measure)).map((x) => ({ uid: ++uid, ...x }));
  $("#history-box").open = form.history.length > 0;
  renderForm();
}

function resetForm() {
  form.caseId = "";
  form.asOf = "";
  form.applicant = {};
  form.claims = [];
  form.history = [];
  lastDecision = null;
  showError($("#form-errors"), null);
  renderForm();
  renderOutput();
}

export function initDecide() {
  on("policy", () => {
    fields = { applicant: applicantFields(state.schema, state.policy), claims: claimFieldsByMeasure(state.schema, state.policy) };
    const known = new Set(measures().map((m) => m.id));
    form.claims = form.claims.filter((c) => known.has(c.measure));
    lastDecision = null;
    renderForm();
    renderOutput();
  });
  state.caseFromForm = caseFromForm;
  $("#case-form").addEventListener("submit", submit);
  $("#add-claim").addEventListener("click", () => {
    const measure = $("#add-measure").value || (measures()[0] && measures()[0].id);
    if (!measure) return;
    form.claims.push({ uid: ++uid, measure, id: nextClaimId(), date: "", project: "", facts: {} });
    renderClaims();
    const cards = $$("#claims-box .claim-form");
    const last = cards[cards.length - 1];
    if (last) {
      last.scrollIntoView({ block: "nearest" });
      const first = last.querySelector("[data-path$='.date']");
      if (first) first.focus({ preventScroll: true });
    }
  });
  $("#add-history").addEventListener("click", () => {
    form.history.push({ uid: ++uid, measure: $("#add-measure").value || (measures()[0] && measures()[0].id), id: `h${form.history.length + 1}`, date: "", amount: "" });
    renderHistory();
  });
  $("#download-report").addEventListener("click", downloadReport);
  $("#fill-example").addEventListener("click", fillExample);
  $("#reset-form").addEventListener("click", resetForm);
  return {
    onLang() {
      if (!state.policy) return;
      renderForm();
      renderOutput();
    },
  };
}
