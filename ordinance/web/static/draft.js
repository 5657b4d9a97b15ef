// The Draft view: a measure's rule file in an editor, checked as the drafter types (POST /v1/check,
// debounced), problems marked at their line and column; a "try" panel (POST /v1/try); download. The
// edits are kept in the browser as they are made (drafts.js), and restored when the page comes back.

import { $, h, replace, debounce, saveFile } from "./dom.js";
import { api, problemLocation } from "./api.js";
import { t, L, lang } from "./i18n.js";
import { state, on, emit, editedFiles } from "./state.js";
import { RuleEditor } from "./rule-editor.js";
import { claimFieldsByMeasure, applicantFields } from "./schema.js";
import { renderDecision } from "./trace.js";
import { showError, problemLine } from "./errors.js";
import { writeDraft, dropDraft } from "./drafts.js";

let editor = null;
let currentFile = null;
let problems = [];       // the last check's problems (all files)
let checkSeq = 0;
let checkAbort = null;
let checkState = "idle"; // idle | checking | ok | problems | error
let lastTry = null;
let sampleTouched = false;

function files() {
  return (state.policy && state.policy.files) || {};
}

function original(path) {
  return files()[path] ?? "";
}

function textOf(path) {
  return state.edits.has(path) ? state.edits.get(path) : original(path);
}

/** Does a problem's file name the same file as `path` ("rules/x.yaml" vs "policy/p/rules/x.yaml")? */
function sameFile(a, b) {
  if (!a || !b) return false;
  const x = String(a).replace(/\\/g, "/");
  const y = String(b).replace(/\\/g, "/");
  return x === y || x.endsWith(`/${y}`) || y.endsWith(`/${x}`);
}

function knownFile(name) {
  return Object.keys(files()).find((p) => sameFile(name, p)) || null;
}

function renderFileOptions() {
  const select = $("#draft-file");
  const paths = Object.keys(files()).sort((a, b) => (a === "policy.yaml") - (b === "policy.yaml") || a.localeCompare(b));
  replace(select, paths.map((p) => h("option", { value: p, selected: p === currentFile },
    state.edits.has(p) ? `${p} • ${t("draft.edited")}` : p)));
}

function renderMeasureOptions() {
  const select = $("#draft-measure");
  const ms = (state.policy && state.policy.measures) || [];
  const current = ms.find((m) => m.id === select.value && sameFile(m.file, currentFile))
    || ms.find((m) => sameFile(m.file, currentFile));
  replace(select,
    h("option", { value: "", selected: !current }, "—"),
    ms.map((m) => h("option", { value: m.id, selected: current && m.id === current.id },
      `${m.article ? `${m.article} ` : ""}${L(m.title) || m.id} · ${m.id}`)));
}

function openFile(path) {
  if (!path || !(path in files())) return;
  currentFile = path;
  editor.setText(textOf(path));
  renderFileOptions();
  renderMeasureOptions();
  markProblems();
  if (!sampleTouched) $("#try-case").value = JSON.stringify(sampleCase(), null, 2);
  scheduleCheck.cancel();
  runCheck();
}

function onEdit(text) {
  if (text === original(currentFile)) state.edits.delete(currentFile);
  else state.edits.set(currentFile, text);
  renderFileOptions();
  emit("edits");
  setStatus("checking");
  scheduleCheck();
}

function setStatus(kind, n) {
  checkState = kind;
  const el = $("#check-status");
  el.className = `check-status ${kind}`;
  el.textContent = kind === "checking" ? t("draft.checking") : kind === "ok" ? t("draft.ok")
    : kind === "problems" ? t("draft.nProblems", { n }) : "";
}

const scheduleCheck = debounce(() => runCheck(), 300);

async function runCheck() {
  if (!currentFile) return;
  const seq = ++checkSeq;
  if (checkAbort) checkAbort.abort();
  checkAbort = new AbortController();
  setStatus("checking");
  const body = { policy: state.policyId, files: { ...(editedFiles() || {}), [currentFile]: editor.value } };
  try {
    const answer = await api.check(body, { signal: checkAbort.signal });
    if (seq !== checkSeq) return;
    problems = answer.problems || [];
    showError($("#draft-error"), null);
    setStatus(problems.length ? "problems" : "ok", problems.length);
  } catch (err) {
    if (err && err.name === "AbortError") return;
    if (seq !== checkSeq) return;
    // A refused body (413) or a problem+json with located problems: show them like check's.
    problems = (err && err.problems) || [];
    if (!problems.length) showError($("#draft-error"), err);
    setStatus(problems.length ? "problems" : "error", problems.length);
  }
  markProblems();
  renderProblems();
}

function markProblems() {
  const mine = [];
  for (const p of problems) {
    const loc = problemLocation(p);
    if (!loc) continue;
    const file = loc.file ? knownFile(loc.file) : currentFile;
    if (file === currentFile) mine.push({ ...loc, code: p.code, message: p.message, hint: p.hint });
  }
  editor.setProblems(mine);
}

function renderProblems() {
  const list = $("#problems");
  if (!problems.length) {
    replace(list, h("li", { class: "no-problems" }, t("draft.noProblems")));
    return;
  }
  replace(list, problems.map((p) => {
    const loc = problemLocation(p);
    const file = loc && loc.file ? knownFile(loc.file) : (loc ? currentFile : null);
    const where = loc ? `${file || loc.file || ""}:${loc.line}:${loc.column}` : (p.path || "");
    const item = h("li", { class: ["problem", file ? "clickable" : null], tabindex: file ? "0" : null,
      dataset: { line: loc ? String(loc.line) : "", column: loc ? String(loc.column) : "", code: p.code || "" } },
      h("code", { class: "where" }, where),
      h("span", { class: "code", "data-from": "engine" }, p.code || ""),
      h("span", { class: "msg", "data-from": "engine" }, p.message || ""),
      p.hint ? h("span", { class: "hint", "data-from": "engine" }, p.hint) : null);
    if (file && loc) {
      const go = () => {
        if (file !== currentFile) {
          openFile(file);
        }
        editor.goTo(loc.line, loc.column, loc.endLine, loc.endColumn);
      };
      item.addEventListener("click", go);
      item.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); } });
    }
    return item;
  }));
}

// ---- the draft kept in the browser ------------------------------------------------------------

/** Keep the edits in this browser (drafts.js) after every change. */
function keep() {
  const kept = writeDraft(state.policyId, state.policy.digest, state.edits);
  const found = state.draftFound;
  if (found && found.restored && !state.edits.size) found.restored = null;  // all reverted: nothing restored is left
  if (kept !== state.draftKept || (found && !found.restored && !found.other)) {
    state.draftKept = kept;
    if (found && !found.restored && !found.other) state.draftFound = null;
    renderNotice();
  }
}

function when(saved) {
  const d = saved ? new Date(saved) : null;
  return d && !Number.isNaN(d.getTime()) ? d.toLocaleString(lang() === "zh" ? "zh-Hant" : "en") : "—";
}

function fileNames(files) {
  return h("span", { class: "notice-files", "data-from": "data" }, Object.keys(files).join(", "));
}

/** A button that acts on its second press (the first arms it for four seconds): nothing is lost to a slip. */
function twoStep(label, armedLabel, act, attrs = {}) {
  let armed = null;
  const button = h("button", { type: "button", class: "btn btn-small", ...attrs }, label);
  button.addEventListener("click", () => {
    if (!armed) {
      button.textContent = armedLabel;
      button.classList.add("armed");
      armed = setTimeout(() => { armed = null; button.textContent = label; button.classList.remove("armed"); }, 4000);
      return;
    }
    clearTimeout(armed);
    act();
  });
  return button;
}

/** After the edits changed wholesale: the editor, the file list, the other views, the copy kept, a check. */
function editsReplaced() {
  if (currentFile) editor.setText(textOf(currentFile));
  renderFileOptions();
  emit("edits");
  runCheck();
}

function renderNotice() {
  const el = $("#draft-notice");
  const found = state.draftFound;
  const parts = [];
  if (!state.draftKept && state.edits.size) parts.push(h("p", { class: "notice-lost" }, t("draft.notKept")));
  if (found && found.restored && state.edits.size) {
    parts.push(h("p", { class: "notice-restored" },
      t("draft.restored", { n: Object.keys(found.restored.files).length, saved: when(found.restored.saved) }), " ",
      fileNames(found.restored.files), " ",
      twoStep(t("draft.discard"), t("draft.confirmDiscard"), () => {
        state.edits.clear();
        dropDraft(state.policyId, state.policy.digest);
        found.restored = null;
        editsReplaced();
        renderNotice();
      }, { id: "draft-discard" })));
  }
  if (found && found.other) {
    const other = found.other;
    parts.push(h("p", { class: "notice-other" },
      t("draft.otherVersion", { n: Object.keys(other.files).length, saved: when(other.saved),
        digest: String(other.digest).slice(0, 12) }), " ",
      fileNames(other.files), " ",
      h("button", { type: "button", class: "btn btn-small", id: "draft-restore-other", onclick: () => {
        for (const [path, text] of Object.entries(other.files)) state.edits.set(path, text);
        dropDraft(state.policyId, other.digest);
        found.restored = { files: { ...((found.restored && found.restored.files) || {}), ...other.files }, saved: other.saved };
        found.other = null;
        editsReplaced();
        renderNotice();
      } }, t("draft.restoreOther")), " ",
      twoStep(t("draft.discardOther"), t("draft.confirmDiscard"), () => {
        dropDraft(state.policyId, other.digest);
        found.other = null;
        renderNotice();
      }, { id: "draft-discard-other" })));
  }
  replace(el, parts);
  el.hidden = !parts.length;
}

/** The try panel's case, for the Audit view's comparison: {case}, {error} when it is not JSON, or null. */
function caseFromTry() {
  const text = $("#try-case").value.trim();
  if (!text) return null;
  try {
    return { case: JSON.parse(text) };
  } catch (err) {
    return { error: t("draft.badJson", { msg: err.message }) };
  }
}

// ---- try ------------------------------------------------------------------------------------

const SAMPLE_VALUE = { money: "100萬", bool: true, date: "2025-06-01", rate: "30%", number: "1", duration: "1 year", text: "x" };

/** A sample case for the measure being edited: every fact it reads given a plausible value. */
function sampleCase() {
  const m = ((state.policy && state.policy.measures) || []).find((x) => x.id === $("#draft-measure").value)
    || ((state.policy && state.policy.measures) || []).find((x) => sameFile(x.file, currentFile));
  if (!m) return { claims: [] };
  const claimFields = claimFieldsByMeasure(state.schema, state.policy).get(m.id) || [];
  const reads = new Set(m.facts || []);
  const applicant = {};
  for (const f of applicantFields(state.schema, state.policy)) {
    if (reads.size && !reads.has(`applicant.${f.key}`)) continue;
    applicant[f.key] = f.kind === "enum" ? f.values[0] : f.kind === "money" ? "5億" : SAMPLE_VALUE[f.kind] ?? "x";
  }
  const claim = { id: "c1", measure: m.id, date: "2025-06-01", project: "p1" };
  for (const f of claimFields) claim[f.key] = f.kind === "enum" ? f.values[0] : SAMPLE_VALUE[f.kind] ?? "x";
  const out = { case: "sample" };
  if (Object.keys(applicant).length) out.applicant = applicant;
  out.claims = [claim];
  return out;
}

async function runTry() {
  const out = $("#try-out");
  let sample;
  const text = $("#try-case").value.trim();
  if (text) {
    try { sample = JSON.parse(text); } catch (err) {
      replace(out, h("p", { class: "alert alert-error" }, t("draft.badJson", { msg: err.message })));
      return;
    }
  }
  const button = $("#try-run");
  button.disabled = true;
  button.textContent = t("draft.running");
  replace(out, h("p", { class: "hint" }, t("draft.running")));
  try {
    const body = { policy: state.policyId };
    const edited = { ...(editedFiles() || {}) };
    if (currentFile) edited[currentFile] = editor.value;
    body.files = edited;
    if (sample) body.case = sample;
    lastTry = await api.try(body);
    renderTry();
  } catch (err) {
    lastTry = null;
    const box = h("div", { class: "alert alert-error" });
    replace(out, box);
    showError(box, err);
  } finally {
    button.disabled = false;
    button.textContent = t("draft.run");
  }
}

function renderTry() {
  const out = $("#try-out");
  if (!lastTry) {
    replace(out);
    return;
  }
  const r = lastTry;
  const parts = [];
  if (r.ok === false && !(r.tests && r.tests.results)) {
    parts.push(h("div", { class: "alert alert-error" }, h("strong", { class: "alert-title" }, t("draft.cannotLoad")),
      (r.problems || []).length ? h("ul", { class: "alert-problems" }, r.problems.map(problemLine)) : null));
  }
  if ((r.case_problems || []).length) {
    parts.push(h("div", { class: "alert alert-error" }, h("strong", { class: "alert-title" }, t("draft.caseProblems")),
      h("ul", { class: "alert-problems" }, r.case_problems.map(problemLine))));
  }
  if (r.tests) {
    const results = r.tests.results || [];
    const failed = results.filter((x) => !x.passed);
    const passed = results.filter((x) => x.passed);
    parts.push(h("h3", null, t("draft.tests"), " ",
      h("span", { class: ["tests-summary", r.tests.failed ? "fail" : "ok"] },
        t("draft.testsSummary", { passed: r.tests.passed ?? passed.length, failed: r.tests.failed ?? failed.length }))));
    const item = (x) => h("li", { class: ["test", x.passed ? "pass" : "fail"] },
      h("span", { class: ["badge", x.passed ? "status-eligible" : "status-ineligible"] }, x.passed ? t("draft.pass") : t("draft.fail")),
      " ", h("span", { class: "test-name", "data-from": "data" }, x.name || x.id || ""),
      x.file ? h("span", { class: "muted", "data-from": "data" }, ` ${x.file}${x.line ? `:${x.line}` : ""}`) : null,
      x.failures && x.failures.length ? h("ul", { class: "failures", "data-from": "engine" }, x.failures.map((f) => h("li", null, String(f)))) : null);
    if (failed.length) parts.push(h("ul", { class: "tests failed" }, failed.map(item)));
    if (passed.length) {
      parts.push(h("details", { class: "tests-passed" }, h("summary", null, `${t("draft.pass")} (${passed.length})`),
        h("ul", { class: "tests" }, passed.map(item))));
    }
  }
  if (r.decision) {
    parts.push(h("h3", null, t("draft.sampleDecision")));
    parts.push(renderDecision(r.decision, { policy: state.policy, withSource: false, title: " " }));
  }
  replace(out, parts);
}

// ---- view -----------------------------------------------------------------------------------

export function initDraft() {
  editor = new RuleEditor({ parent: $("#editor"), onChange: onEdit, policy: () => state.policy });
  // an alert slot for errors that are not problems of the text
  const alert = h("div", { id: "draft-error", class: "alert alert-error", role: "alert", hidden: true });
  $("#view-draft .draft-toolbar").after(alert);

  $("#draft-measure").addEventListener("change", (e) => {
    const m = ((state.policy && state.policy.measures) || []).find((x) => x.id === e.target.value);
    if (m && m.file && knownFile(m.file)) openFile(knownFile(m.file));
    sampleTouched = false;
    $("#try-case").value = JSON.stringify(sampleCase(), null, 2);
  });
  $("#draft-file").addEventListener("change", (e) => openFile(e.target.value));
  $("#try-case").addEventListener("input", () => { sampleTouched = true; });
  $("#draft-download").addEventListener("click", () => {
    if (!currentFile) return;
    saveFile(currentFile.split("/").pop(), editor.value, "application/yaml;charset=utf-8");
  });
  let armed = null;
  $("#draft-revert").addEventListener("click", (e) => {
    const button = e.currentTarget;
    if (!state.edits.has(currentFile)) return;
    if (!armed) {
      button.textContent = t("draft.confirmRevert");
      button.classList.add("armed");
      armed = setTimeout(() => { armed = null; button.textContent = t("draft.revert"); button.classList.remove("armed"); }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    button.textContent = t("draft.revert");
    button.classList.remove("armed");
    state.edits.delete(currentFile);
    editor.setText(original(currentFile));
    renderFileOptions();
    emit("edits");
    runCheck();
  });
  $("#try-run").addEventListener("click", runTry);
  state.caseFromTry = caseFromTry;
  on("edits", keep);
  $("#try-from-form").addEventListener("click", () => {
    if (!state.caseFromForm) return;
    $("#try-case").value = JSON.stringify(state.caseFromForm(), null, 2);
    sampleTouched = true;
  });

  on("open-location", (loc) => {
    const file = knownFile(loc.file);
    if (!file) return;
    emit("show-view", "draft");
    if (file !== currentFile) openFile(file);
    editor.goTo(loc.line, loc.column);
  });
  on("policy", () => {
    problems = [];
    lastTry = null;
    sampleTouched = false;
    const ms = (state.policy && state.policy.measures) || [];
    const first = ms.find((m) => m.file && knownFile(m.file));
    currentFile = null;
    renderTry();
    renderNotice();
    // a restored draft opens at its first edited file
    const edited = [...state.edits.keys()].sort()[0];
    const measure = edited && ms.find((m) => sameFile(m.file, edited));
    if (edited) {
      if (measure) $("#draft-measure").value = measure.id;
      openFile(edited);
    } else if (first) {
      $("#draft-measure").value = first.id;
      openFile(knownFile(first.file));
    } else {
      const any = Object.keys(files())[0];
      if (any) openFile(any);
    }
  });
  return {
    onLang() {
      if (!state.policy) return;
      renderFileOptions();
      renderMeasureOptions();
      renderProblems();
      if (checkState === "problems") setStatus("problems", problems.length);
      else setStatus(checkState);
      renderTry();
      renderNotice();
      runCheck();   // the problems again, in the language now asked for (api.js sends it)
    },
  };
}
