// The workbench's entry point: the policy picker, the language toggle, the three views, the draft kept
// in the browser for each policy.

import { $, h, replace } from "./dom.js";
import { api } from "./api.js";
import { applyStatic, lang, setLang, onLang, t, L } from "./i18n.js";
import { state, emit, on } from "./state.js";
import { initDecide } from "./decide.js";
import { initDraft } from "./draft.js";
import { initAudit } from "./audit.js";
import { showError } from "./errors.js";
import { readDraft, otherDrafts } from "./drafts.js";

const VIEWS = ["decide", "draft", "audit"];

function route() {
  const name = (location.hash || "").replace(/^#/, "").split("/")[0];
  const view = VIEWS.includes(name) ? name : "decide";
  for (const v of VIEWS) {
    $(`#view-${v}`).hidden = v !== view;
    const tab = $(`#tab-${v}`);
    tab.classList.toggle("active", v === view);
    tab.setAttribute("aria-selected", v === view ? "true" : "false");
    tab.tabIndex = v === view ? 0 : -1;   // one tab stop for the tab list: the selected tab
  }
  document.body.dataset.view = view;
  emit("view", view);
}

function showView(name) {
  if (location.hash !== `#${name}`) history.pushState(null, "", `#${name}`);
  route();
}

/** The WAI-ARIA tabs pattern: Left/Right (wrapping), Home and End select a tab and focus it. */
function tabKeys(e) {
  const i = VIEWS.indexOf(e.currentTarget.dataset.view);
  const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: VIEWS.length - 1 }[e.key];
  if (next === undefined || e.altKey || e.ctrlKey || e.metaKey) return;
  e.preventDefault();
  const view = VIEWS[(next + VIEWS.length) % VIEWS.length];
  showView(view);
  $(`#tab-${view}`).focus();
}

function renderBanner() {
  const p = state.policy;
  if (!p) return;
  $("#policy-title").textContent = L(p.title) || p.id;
  const meta = [];
  if (p.valid && (p.valid.from || p.valid.until)) meta.push(t("policy.valid", { from: p.valid.from || "…", until: p.valid.until || "…" }));
  if (p.issuer) meta.push(t("policy.issuer", { issuer: L(p.issuer) }));
  if (p.digest) meta.push(t("policy.digest", { digest: String(p.digest).slice(0, 12) }));
  $("#policy-meta").textContent = meta.join(" · ");
}

function renderPolicyOptions() {
  const select = $("#policy-select");
  replace(select, state.policies.map((p) => h("option", { value: p.id, selected: p.id === state.policyId },
    p.title ? `${L(p.title)}` : p.id)));
  select.title = state.policyId || "";
}

/** The drafts this browser keeps for `policy`: the one made against this version (the same digest) is
 * restored; the most recent one made against another version is set aside for the Draft view to offer. */
function findDraft(policy) {
  state.draftKept = true;
  const usable = (draft) => {
    const files = Object.entries((draft && draft.files) || {})
      .filter(([path, text]) => path in (policy.files || {}) && text !== policy.files[path]);
    return files.length ? { ...draft, files: Object.fromEntries(files) } : null;
  };
  const restored = usable(readDraft(policy.id, policy.digest));
  if (restored) for (const [path, text] of Object.entries(restored.files)) state.edits.set(path, text);
  const other = otherDrafts(policy.id, policy.digest).map(usable).find(Boolean) || null;
  state.draftFound = restored || other ? { restored, other } : null;
}

async function loadPolicy(id) {
  const [policy, schema] = await Promise.all([api.policy(id), api.caseSchema(id)]);
  state.policyId = id;
  state.policy = policy;
  state.schema = schema;
  state.edits.clear();
  findDraft(policy);
  renderBanner();
  emit("policy", policy);
}

/** Ask before leaving a policy whose draft has edits: they are kept in this browser (or, when it
 * cannot keep them, lost). */
function mayLeavePolicy(to) {
  if (!state.edits.size) return true;
  const name = (id) => {
    const p = state.policies.find((x) => x.id === id);
    return p && p.title ? L(p.title) : id;
  };
  return window.confirm(t(state.draftKept ? "draft.switchKept" : "draft.switchLost",
    { n: state.edits.size, from: name(state.policyId), to: name(to) }));
}

async function start() {
  document.documentElement.lang = lang() === "zh" ? "zh-Hant" : "en";
  applyStatic();
  const views = [initDecide(), initDraft(), initAudit()];
  $("#lang-toggle").addEventListener("click", () => setLang(lang() === "zh" ? "en" : "zh"));
  onLang(() => {
    renderBanner();
    renderPolicyOptions();
    for (const v of views) if (v.onLang) v.onLang();
  });
  window.addEventListener("hashchange", route);
  // The rule files are never written by the server: warn before leaving while the draft has edits
  // (kept in this browser, they are restored on return; downloading them is what keeps them).
  window.addEventListener("beforeunload", (e) => {
    if (!state.edits.size) return;
    e.preventDefault();
    e.returnValue = "";
  });
  on("show-view", showView);
  for (const v of VIEWS) $(`#tab-${v}`).addEventListener("keydown", tabKeys);
  route();
  try {
    const list = await api.policies();
    state.policies = list.policies || [];
    if (!state.policies.length) throw new Error("no policy");
    state.policyId = state.policies[0].id;
    renderPolicyOptions();
    $("#policy-select").addEventListener("change", async (e) => {
      if (!mayLeavePolicy(e.target.value)) {
        e.target.value = state.policyId;
        return;
      }
      try { await loadPolicy(e.target.value); } catch (err) { showError($("#global-error"), err); }
    });
    await loadPolicy(state.policyId);
    document.body.dataset.ready = "1";
  } catch (err) {
    showError($("#global-error"), err);
  }
}

start();
