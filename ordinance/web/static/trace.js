// A decision as the page shows it: the summary of claims, each claim's reasons and its derivation as
// an expandable tree, and beside it the source text a selected step cites. Shared by the three views.

import { h, clear, $$ } from "./dom.js";
import { t, L, lang } from "./i18n.js";
import { formatMoney, formatValue, formatResult } from "./format.js";
import { state, emit } from "./state.js";
import { CASE_NAME } from "./api.js";

const MARK = { true: "✓", false: "✗", undetermined: "?" };
const MARK_CLASS = { true: "ok", false: "fail", undetermined: "open" };

const KIND_ZH = {
  claim: "申請", facts: "事實", validity: "有效期", condition: "條件", table: "分檔表", row: "檔", value: "數值",
  amount: "金額", ceiling: "最高額", duration: "期限", cap: "上限", "project-cap": "項目上限",
  "yearly-cap": "年度上限", exclusivity: "就高不重複", "one-time": "一次性", quota: "名額", reading: "解讀",
  period: "年度取值", depends: "取決於", bounds: "範圍",
};

export function kindWord(kind) {
  return lang() === "zh" ? (KIND_ZH[kind] || kind) : kind;
}

export function statusBadge(status) {
  return h("span", { class: ["badge", `status-${status}`], dataset: { status } }, t(`status.${status}`));
}

function measureInfo(policy, id) {
  const list = (policy && policy.measures) || [];
  return list.find((m) => m.id === id) || null;
}

/** A fact's label in the page's language, from the policy's facts ("claim.compute_spend" -> 算力服務費用); "" when it has none. */
export function factLabel(policy, name) {
  const fact = ((policy && policy.facts) || []).find((f) => f.name === name);
  return fact ? L(fact.label) : "";
}

/** A decision's case id as the page shows it: the id, or "(no id)" for a case given without one. */
export function caseName(id) {
  if (id === null || id === undefined || id === "" || id === CASE_NAME) {
    return h("span", { class: "unnamed-case" }, t("decide.unnamed"));
  }
  return h("span", { class: "case-id", "data-from": "data" }, String(id));
}

export function measureName(policy, id) {
  const m = measureInfo(policy, id);
  return m ? `${L(m.title)}` : id;
}

/** What a claim came to, in words: amount, ceiling, duration or nothing. */
export function resultAmount(r) {
  const benefit = r.benefit || "money";
  if (r.bounds) return boundsText(r.bounds);
  if (benefit === "money") return r.amount === null || r.amount === undefined ? "—" : formatMoney(r.amount);
  if (r.ceiling) return t("decide.ceiling", { v: formatMoney(r.ceiling) });
  if (r.duration) return t("decide.duration", { v: r.duration });
  return "—";
}

/** An undetermined claim's bounds (or the decision's money still open), in words. */
export function boundsText(b) {
  const range = b.at_most === null || b.at_most === undefined
    ? t("decide.atLeast", { v: formatMoney(b.at_least) })
    : t("decide.between", { lo: formatMoney(b.at_least), hi: formatMoney(b.at_most) });
  const on = b.depends_on && b.depends_on.length ? t("decide.dependsOn", { v: b.depends_on.join(", ") }) : "";
  return range + on;
}

/** "rules/08-compute-voucher.yaml:56:13" -> {file, line, column}; null if it is not one. */
export function parseLocation(text) {
  const m = /^(.*):(\d+):(\d+)$/.exec(String(text || ""));
  return m ? { file: m[1], line: Number(m[2]), column: Number(m[3]) } : null;
}

// ---- the source text panel ----------------------------------------------------------------

/** The panel showing the policy's source text with a step's quote marked in it. */
export class SourcePanel {
  constructor(policy) {
    this.policy = policy;
    this.el = h("aside", { class: "source-panel card" });
    this.show(null);
  }

  show(step) {
    this.step = step;
    const el = clear(this.el);
    el.appendChild(h("h3", null, t("trace.source")));
    const cite = step && step.citation;
    if (!cite) {
      el.appendChild(h("p", { class: "hint" }, t("trace.sourceHint")));
      if (this.policy && this.policy.source) el.appendChild(this.sourceBox(null, []));
      return;
    }
    el.appendChild(h("div", { class: "cite-head" },
      h("span", { class: "article" }, t("trace.article", { a: cite.article || "" })),
      step.label ? h("span", { class: "cite-step" }, ` · ${L(step.label)}`) : null));
    el.appendChild(h("blockquote", { class: "quote", "data-from": "data" }, cite.text || ""));
    const fragments = String(cite.text || "").split(/\s*…\s*/).map((s) => s.trim()).filter(Boolean);
    if (this.policy && this.policy.source) {
      const box = this.sourceBox(cite.source_line || null, fragments);
      el.appendChild(box);
      if (!box.dataset.found) el.appendChild(h("p", { class: "hint" }, t("trace.notFound")));
    }
  }

  /** The source text, one element per line; the cited line marked, the quote's fragments highlighted. */
  sourceBox(lineNo, fragments) {
    const lines = String(this.policy.source).split(/\r?\n/);
    const box = h("div", { class: "source-text", tabindex: "0", role: "region", "aria-label": t("trace.source"), "data-from": "data" });
    let target = null;
    // Where each fragment is: on the cited line first, else anywhere.
    const wanted = new Map();
    for (const frag of fragments) {
      let at = null;
      if (lineNo && lines[lineNo - 1] && lines[lineNo - 1].includes(frag)) at = lineNo;
      else {
        const i = lines.findIndex((ln) => ln.includes(frag));
        if (i >= 0) at = i + 1;
      }
      if (at !== null) {
        if (!wanted.has(at)) wanted.set(at, []);
        wanted.get(at).push(frag);
      }
    }
    if (wanted.size) box.dataset.found = "1";
    lines.forEach((text, i) => {
      const n = i + 1;
      const row = h("div", { class: ["src-line", n === lineNo ? "cited" : null] },
        h("span", { class: "src-no" }, String(n)));
      const body = h("span", { class: "src-body" });
      const frags = wanted.get(n);
      if (frags) appendMarked(body, text, frags);
      else body.appendChild(document.createTextNode(text));
      row.appendChild(body);
      box.appendChild(row);
      if (n === lineNo || (frags && !target)) target = row;
    });
    if (target) {
      requestAnimationFrame(() => {
        box.scrollTop += target.getBoundingClientRect().top - box.getBoundingClientRect().top - 6;
      });
    }
    return box;
  }
}

/** Append `text` to `el` with every occurrence of the fragments wrapped in <mark> (as text nodes). */
function appendMarked(el, text, fragments) {
  const spans = [];
  for (const frag of fragments) {
    let from = 0;
    let i;
    while (frag && (i = text.indexOf(frag, from)) >= 0) {
      spans.push([i, i + frag.length]);
      from = i + frag.length;
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  let pos = 0;
  for (const [a, b] of spans) {
    if (a < pos) continue;
    if (a > pos) el.appendChild(document.createTextNode(text.slice(pos, a)));
    el.appendChild(h("mark", null, text.slice(a, b)));
    pos = b;
  }
  if (pos < text.length) el.appendChild(document.createTextNode(text.slice(pos)));
}

// ---- the derivation tree ------------------------------------------------------------------

/** As in the HTML report: failed and undetermined conditions, and steps that refused a claim, open. */
function isOpenByDefault(node) {
  if (node.kind === "row") return node.status === "undetermined";
  return node.status === "false" || node.status === "undetermined" || node.status === "ineligible"
    || node.status === "superseded";
}

function stepSummary(node) {
  const mark = MARK[node.status];
  const parts = [
    h("span", { class: ["kind", `kind-${node.kind}`] }, kindWord(node.kind)),
    mark ? h("span", { class: ["mark", MARK_CLASS[node.status]], title: t(`mark.${node.status}`) }, mark) : null,
    node.label ? h("span", { class: "step-label", "data-from": "data" }, L(node.label)) : null,
    node.id && node.kind !== "reading" ? h("span", { class: "step-id", "data-from": "data" }, node.id) : null,
  ];
  if (node.kind === "reading") return parts;
  if (node.expression) parts.push(h("code", { class: "expr" }, node.expression));
  if (node.kind === "claim") {
    if (node.status) parts.push(h("span", { class: "arrow" }, "→"), statusBadge(node.status));
    if (node.result !== undefined && node.result !== null && node.types && node.types.result) {
      parts.push(h("span", { class: "step-result", "data-from": "data" }, formatResult(node.result, node.types)));
    }
  } else if (node.result !== undefined && node.result !== null && node.kind !== "condition" && node.kind !== "row"
      && node.kind !== "validity") {
    parts.push(h("span", { class: "arrow" }, "→"), h("span", { class: "step-result", "data-from": "data" }, formatResult(node.result, node.types)));
  } else if (node.status && !MARK[node.status]) {
    // exclusivity, one-time, quota: the claim's standing after the step
    const known = ["eligible", "ineligible", "undetermined", "superseded"].includes(node.status);
    parts.push(h("span", { class: "arrow" }, "→"), known ? statusBadge(node.status) : h("span", { class: "step-result", "data-from": "data" }, node.status));
  }
  return parts;
}

/** The notes of a step or a claim in the page's language: on the Chinese page their Chinese (`notes_zh`). */
export function notesOf(x) {
  if (lang() === "zh" && Array.isArray(x.notes_zh)) return x.notes_zh;
  return x.notes || [];
}

/**
 * An input of a step as a person reads it: a fact or a parameter by its label (a fact of a year,
 * `name[2024]`, by the fact's), then its name; an input the engine names itself (a cap's "remaining") in the page's language
 * (the decision's `input_names_zh`).
 */
function inputName(name, node, policy) {
  const param = ((policy && policy.parameters) || []).find((x) => x.name === name && x.label);
  const label = factLabel(policy, String(name).replace(/\[\d{4}\]$/, "")) || (param ? L(param.label) : "");
  if (label) return [h("span", { class: "fact-label", "data-from": "data" }, label), " ", h("code", { class: "fact-name" }, name)];
  const own = lang() === "zh" && node.input_names_zh ? node.input_names_zh[name] : undefined;
  return own ? h("span", { class: "input-name", "data-from": "engine" }, own) : h("code", null, name);
}

function stepBody(node, ctx) {
  const body = h("div", { class: "step-body" });
  const inputs = node.inputs ? Object.entries(node.inputs) : [];
  if (inputs.length) {
    const table = h("table", { class: "inputs" },
      h("tbody", null, inputs.map(([name, value]) => h("tr", null,
        h("th", { scope: "row" }, inputName(name, node, ctx.policy)),
        h("td", { class: value === null ? "missing" : null, "data-from": value === null ? null : "data" },
          formatValue(value, node.types && node.types[name]))))));
    body.appendChild(h("div", { class: "step-section" }, h("div", { class: "step-caption" }, t("trace.inputs")), table));
  }
  if (node.notes && node.notes.length) {
    body.appendChild(h("ul", { class: "notes", "data-from": "engine" }, notesOf(node).map((n) => h("li", null, n))));
  }
  if (node.citation) {
    const c = node.citation;
    body.appendChild(h("p", { class: "cites" },
      h("button", { type: "button", class: "cite-link", onclick: (e) => { e.preventDefault(); ctx.select(node, e.currentTarget); } },
        `${t("trace.cites")} ${c.article || ""}`),
      h("span", { class: "cite-text", "data-from": "data" }, `「${c.text || ""}」`)));
  }
  if (node.location) {
    const loc = parseLocation(node.location);
    // "rules/x.yaml" from the server; "policy/<id>/rules/x.yaml" in a decision made elsewhere
    const files = Object.keys((state.policy && state.policy.files) || {});
    const known = loc && files.some((f) => loc.file === f || loc.file.endsWith(`/${f}`));
    body.appendChild(h("p", { class: "location" }, `${t("trace.at")} `,
      known ? h("button", { type: "button", class: "loc-link", title: t("trace.openInDraft"),
        onclick: (e) => { e.preventDefault(); emit("open-location", loc); } }, h("code", null, node.location))
        : h("code", null, node.location)));
  }
  return body;
}

/** The names of a step's children as /v1/compare names them: kind:id, then kind:id#2 for a repeat. */
export function namedChildren(node) {
  const seen = new Map();
  return (node.children || []).map((child) => {
    const base = `${child.kind}:${child.id}`;
    const n = (seen.get(base) || 0) + 1;
    seen.set(base, n);
    return [n === 1 ? base : `${base}#${n}`, child];
  });
}

/** The step of `root` at `path` (a list of child names), or null. */
export function findStep(root, path) {
  let node = root;
  for (const name of path || []) {
    const hit = node ? namedChildren(node).find(([n]) => n === name) : null;
    node = hit ? hit[1] : null;
    if (!node) return null;
  }
  return node;
}

function renderStep(node, ctx, path) {
  const hasBody = (node.inputs && Object.keys(node.inputs).length) || (node.notes && node.notes.length)
    || node.citation || node.location || (node.children && node.children.length);
  const summary = h("summary", { class: "step-summary" }, stepSummary(node));
  const el = h("details", {
    class: ["step", `k-${node.kind}`, node.status ? `st-${node.status}` : null],
    dataset: { kind: node.kind, id: node.id || "", path: path.join("/") },
  }, summary);
  el.open = isOpenByDefault(node);
  summary.addEventListener("click", () => ctx.select(node, el));
  if (!hasBody) el.classList.add("leaf");
  el.appendChild(stepBody(node, ctx));
  if (node.children && node.children.length) el.appendChild(stepList(node, ctx, path, "step-children"));
  return el;
}

/** A step's children as a list, each a disclosure (details/summary) holding its own list. */
function stepList(node, ctx, path, cls) {
  return h("ul", { class: ["steps", cls] },
    namedChildren(node).map(([name, c]) => h("li", null, renderStep(c, ctx, [...path, name]))));
}

/**
 * The derivation of one claim (its trace root): a header with the claim's own data, then the steps.
 * It is a nested list of disclosures, not an ARIA tree: a step holds tables, links and buttons that
 * a tree item could not, and the browser gives each summary its keyboard (Tab, Enter, Space) and its
 * expanded state; the list gives the depth and the position.
 */
export function renderTree(root, ctx) {
  const tree = h("div", { class: "tree" });
  if (!root) return tree;
  const head = h("button", { type: "button", class: "tree-root" }, stepSummary(root));
  head.addEventListener("click", () => ctx.select(root, head));
  tree.appendChild(head);
  tree.appendChild(stepBody(root, ctx));
  if (root.children && root.children.length) tree.appendChild(stepList(root, ctx, [], "tree-steps"));
  return tree;
}

// ---- a whole decision ---------------------------------------------------------------------

/**
 * The decision contract rendered: summary table, then per claim its card. With `withSource`, a source
 * panel sits beside the claims and shows what the selected step cites.
 */
export function renderDecision(decision, { policy, withSource = true, title } = {}) {
  const source = withSource ? new SourcePanel(policy) : null;
  let selectedEl = null;
  const ctx = {
    policy,
    select(node, el) {
      if (selectedEl) selectedEl.classList.remove("selected");
      selectedEl = el && el.classList ? el : null;
      if (selectedEl) selectedEl.classList.add("selected");
      if (source) source.show(node);
    },
  };
  const results = decision.results || [];
  const wrap = h("div", { class: "decision", dataset: { case: String(decision.case ?? "") } });
  const meta = [];
  if (decision.case !== undefined) meta.push([`${t("decide.case")} `, caseName(decision.case)]);
  if (decision.policy) meta.push(h("span", { "data-from": "data" }, `${decision.policy.id} · ${String(decision.policy.digest || "").slice(0, 12)}`));
  if (decision.as_of) meta.push([`${t("decide.asOf").replace(/（.*）|\s*\(.*\)/, "")} `, h("span", { "data-from": "data" }, decision.as_of)]);
  wrap.appendChild(h("div", { class: "decision-head" },
    h("h2", null, title || t("decide.result")),
    h("span", { class: "decision-meta" }, meta.map((m, i) => [i ? " · " : null, m]))));

  const rows = results.map((r) => h("tr", { class: `s-${r.status}`, dataset: { claim: r.claim } },
    h("td", null, h("a", { href: `#claim-${r.claim}`, class: "claim-link", onclick: (e) => {
      e.preventDefault();
      const card = wrap.querySelector(`[data-claim-card="${CSS.escape(String(r.claim))}"]`);
      if (card) card.scrollIntoView({ behavior: "smooth", block: "start" });
    }, "data-from": "data" }, String(r.claim))),
    h("td", null, measureName(policy, r.measure), h("span", { class: "muted", "data-from": "data" }, ` ${r.measure}`)),
    h("td", null, statusBadge(r.status)),
    h("td", { class: "num amount" }, resultAmount(r))));
  wrap.appendChild(h("table", { class: "summary" },
    h("thead", null, h("tr", null, h("th", null, t("decide.claimCol")), h("th", null, t("decide.measureCol")),
      h("th", null, t("decide.statusCol")), h("th", { class: "num" }, t("decide.amountCol")))),
    h("tbody", null, rows),
    h("tfoot", null, h("tr", null, h("th", { colspan: "3" }, t("decide.total")),
      h("td", { class: "num total" }, formatMoney(decision.total))),
      decision.open ? h("tr", { class: "still-open" }, h("th", { colspan: "3" }, t("decide.stillOpen")),
        h("td", { class: "num" }, boundsText({ ...decision.open, depends_on: decision.open.claims }))) : null)));

  const cards = h("div", { class: "claim-cards" });
  for (const r of results) cards.appendChild(renderClaim(r, policy, ctx));
  if (source) {
    wrap.appendChild(h("div", { class: "claims-with-source" }, cards, source.el));
    const first = results.find((r) => r.trace);
    if (first) source.show(first.trace);
  } else {
    wrap.appendChild(cards);
  }
  return wrap;
}

function renderClaim(r, policy, ctx) {
  const m = measureInfo(policy, r.measure);
  const card = h("section", { class: ["claim-card", `s-${r.status}`], dataset: { claimCard: String(r.claim) } });
  card.appendChild(h("header", { class: "claim-head" },
    h("h3", null, h("span", { class: "claim-id", "data-from": "data" }, String(r.claim)), " ",
      m ? L(m.title) : r.measure, m && m.article ? h("span", { class: "muted" }, ` ${m.article}`) : null),
    h("div", { class: "claim-outcome" }, statusBadge(r.status),
      h("span", { class: "claim-amount" }, resultAmount(r)),
      r.basis && r.status === "eligible" && (r.benefit || "money") === "money"
        ? h("span", { class: "muted basis" }, t(`basis.${r.basis}`)) : null,
      r.benefit && r.benefit !== "money" ? h("span", { class: "muted basis" }, t(`benefit.${r.benefit}`)) : null)));
  if (r.reasons && r.reasons.length) {
    card.appendChild(h("div", { class: "reasons" }, h("h4", null, t("decide.reasons")),
      h("ul", null, r.reasons.map((x) => h("li", null, h("code", { class: "reason-code" }, x.code || ""), " ",
        h("span", { "data-from": "engine" }, x[lang()] || x.zh || x.en || ""))))));
  }
  if (r.missing && r.missing.length) {
    // each fact by its label in the page's language (the policy's words), its name beside it
    card.appendChild(h("div", { class: "missing" }, h("h4", null, t("decide.missing")),
      h("ul", null, r.missing.map((x) => {
        const label = factLabel(policy, x);
        return h("li", { dataset: { fact: x } }, label ? [h("span", { class: "fact-label", "data-from": "data" }, label), " "] : null,
          h("code", { class: label ? "fact-name" : null }, x));
      }))));
  }
  if (r.superseded_by) card.appendChild(h("p", { class: "muted" }, t("decide.supersededBy", { v: r.superseded_by })));
  if (r.notes && r.notes.length) {
    card.appendChild(h("ul", { class: "notes", "data-from": "engine" }, notesOf(r).map((n) => h("li", null, n))));
  }
  if (r.trace) {
    const tree = renderTree(r.trace, ctx);
    const tools = h("div", { class: "tree-tools" },
      h("h4", null, t("decide.derivation")),
      h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => $$("details", tree).forEach((d) => { d.open = true; }) }, t("decide.expandAll")),
      h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => $$("details", tree).forEach((d) => { d.open = false; }) }, t("decide.collapseAll")));
    card.appendChild(tools);
    card.appendChild(tree);
  }
  return card;
}

