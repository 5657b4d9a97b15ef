// Completion inside expressions: the facts (`applicant.` / `claim.` and their members), the tables
// and their columns, the named values and the parameters a rule can read, the functions and the
// keywords, each with its label in the page's language.
//
// Two sources, merged: the loaded policy (GET /v1/policies/{id}: its facts and parameters, with the
// measures that have them), and the rule file as it is being typed (its measures, and the facts,
// tables, values and parameters it declares), read from the editor's YAML syntax tree, so that a
// table added a moment ago is offered at once. Names of another measure of the file are not offered.
//
// The source runs only where the YAML says an expression is (holdsExpression), the tree parsed up
// to the caret first: a source bound to the nested expression language would be asked only once the
// parser, which works in slices of time, had reached the caret.

import { IterMode, ensureSyntaxTree, yamlLanguage } from "./vendor/codemirror.js";
import { L } from "./i18n.js";
import { BUILTIN_FACTS, CONSTANTS, FUNCTIONS, KEYWORDS, SCALARS, holdsExpression } from "./rule-language.js";

const DECLARING = new Set(["facts", "tables", "values", "parameters"]);

/** The YAML tree up to `upto`: the editor's, or if its parser cannot get there at once (a busy
 * machine), the YAML alone parsed afresh (a few milliseconds for a rule file). */
function tree(state, upto) {
  return ensureSyntaxTree(state, upto, 50) || yamlLanguage.parser.parse(state.doc.toString());
}

/** Is `pos` in (or at the end of) a YAML value that holds an expression? */
export function inExpression(state, pos) {
  const cursor = tree(state, pos).cursor(IterMode.IgnoreMounts);   // the YAML's nodes, not the expressions'
  cursor.moveTo(pos, -1);
  let node = cursor.node;
  while (node && !SCALARS.has(node.name)) node = node.parent;
  if (!node) return false;
  return holdsExpression(node.name === "BlockLiteralContent" ? node.parent : node,
    { read: (from, to) => state.sliceDoc(from, to) });
}

function text(state, node) {
  const s = state.sliceDoc(node.from, node.to).trim();
  return /^(["']).*\1$/s.test(s) ? s.slice(1, -1) : s;
}

function keyOf(state, pair) {
  const key = pair.getChild("Key");
  return key ? text(state, key) : null;
}

/** The value node of a Pair (after its `:`), or null. */
function valueOf(pair) {
  const last = pair.lastChild;
  return last && last.name !== "Key" && last.name !== ":" ? last : null;
}

const isMapping = (n) => n && (n.name === "BlockMapping" || n.name === "FlowMapping");
const isSequence = (n) => n && (n.name === "BlockSequence" || n.name === "FlowSequence");

function pairs(mapping) {
  return isMapping(mapping) ? mapping.getChildren("Pair") : [];
}

function items(sequence) {
  if (!isSequence(sequence)) return [];
  return sequence.getChildren("Item").map((item) => item.firstChild).filter(Boolean);
}

/** {zh, en} from a mapping's `zh:` and `en:` keys (a declaration's label). */
function labelOf(state, mapping) {
  const out = {};
  for (const p of pairs(mapping)) {
    const k = keyOf(state, p);
    const v = valueOf(p);
    if ((k === "zh" || k === "en") && v && !isMapping(v) && !isSequence(v)) out[k] = text(state, v);
  }
  return out.zh || out.en ? out : null;
}

function tableColumns(state, table) {
  const columns = new Set();
  for (const p of pairs(table)) {
    if (keyOf(state, p) !== "rows") continue;
    for (const row of items(valueOf(p))) {
      for (const cell of pairs(row)) {
        if (keyOf(state, cell) !== "set") continue;
        for (const c of pairs(valueOf(cell))) columns.add(keyOf(state, c));
      }
    }
  }
  return [...columns].filter(Boolean);
}

function declare(state, key, mapping, into) {
  for (const p of pairs(mapping)) {
    const name = keyOf(state, p);
    if (!name) continue;
    const value = valueOf(p);
    const entry = { name, label: isMapping(value) ? labelOf(state, value) : null };
    if (key === "facts") {
      const type = pairs(value).find((q) => keyOf(state, q) === "type");
      entry.type = type && valueOf(type) ? text(state, valueOf(type)) : null;
    }
    if (key === "tables") entry.columns = tableColumns(state, value);
    into[key].set(name, entry);
  }
}

/**
 * What the rule file in `state` declares where `pos` is: the measure around `pos` (its id), and the
 * facts, tables, values and parameters of that measure and of the file itself. Each is a Map from
 * the name to {name, label, type?, columns?}.
 */
export function outline(state, pos) {
  const top = tree(state, state.doc.length).topNode;
  const out = { measure: null, measures: [], facts: new Map(), tables: new Map(), values: new Map(), parameters: new Map() };
  const visit = (mapping) => {
    for (const p of pairs(mapping)) {
      const key = keyOf(state, p);
      const value = valueOf(p);
      if (key === "measures") {
        for (const m of items(value)) {
          const id = pairs(m).find((q) => keyOf(state, q) === "id");
          const measureId = id && valueOf(id) ? text(state, valueOf(id)) : null;
          if (measureId) out.measures.push(measureId);
          if (m.from <= pos && pos <= m.to) {
            out.measure = measureId;
            visit(m);
          }
        }
      } else if (DECLARING.has(key)) {
        declare(state, key, value, out);
      }
    }
  };
  for (let doc = top.firstChild; doc; doc = doc.nextSibling) {
    if (doc.name === "Document") visit(doc.firstChild);
  }
  return out;
}

// ---- options -------------------------------------------------------------------------------------

function labelText(label) {
  return label ? L(label) : "";
}

function factOption(name, { label, type, measures, boost = 0 }) {
  const member = name.slice(name.indexOf(".") + 1);
  const info = [name, type, measures && measures.length ? `(${measures.join(", ")})` : ""].filter(Boolean).join(" · ");
  return { label: member, detail: labelText(label), info, type: "property", boost };
}

/** The facts of `scope` ("claim" or "applicant") a rule of the measure in `here` may read. */
function facts(scope, policy, here) {
  const out = new Map();
  for (const [name, [type, zh, en]] of Object.entries(BUILTIN_FACTS)) {
    if (name.startsWith(`${scope}.`)) out.set(name, factOption(name, { label: { zh, en }, type, boost: -1 }));
  }
  for (const f of (policy && policy.facts) || []) {
    if (!f || !f.name || !f.name.startsWith(`${scope}.`)) continue;
    // a claim fact is the measure's own: offer those of the measure being edited
    if (scope === "claim" && here.measure && (f.measures || []).length && !f.measures.includes(here.measure)) continue;
    out.set(f.name, factOption(f.name, { label: f.label, type: f.type, measures: scope === "claim" ? f.measures : null }));
  }
  for (const [name, d] of here.facts) {
    if (name.startsWith(`${scope}.`)) out.set(name, factOption(name, { label: d.label, type: d.type, boost: 1 }));
  }
  return [...out.values()];
}

function parameters(policy, here) {
  const out = new Map();
  for (const p of (policy && policy.parameters) || []) {
    if (!p || !p.name) continue;
    const own = p.measures || [];
    if (here.measure && own.length && !own.includes(here.measure)) continue;
    const value = (p.values || []).map((v) => v.expression).join(" / ");
    out.set(p.name, { label: p.name, detail: labelText(p.label), info: value ? `= ${value}` : undefined, type: "constant" });
  }
  for (const [name, d] of here.parameters) {
    out.set(name, { label: name, detail: labelText(d.label), type: "constant", boost: 1 });
  }
  return [...out.values()];
}

/** The options for a bare name: fact scopes, tables, values, parameters, functions, keywords. */
function names(policy, here) {
  const out = [
    { label: "applicant", apply: "applicant.", detail: "applicant.…", type: "namespace" },
    { label: "claim", apply: "claim.", detail: "claim.…", type: "namespace" },
  ];
  for (const [name, d] of here.tables) {
    out.push({ label: name, apply: `${name}.`, detail: labelText(d.label), info: d.columns.map((c) => `${name}.${c}`).join(", "),
      type: "class", boost: 2 });
  }
  for (const [name, d] of here.values) out.push({ label: name, detail: labelText(d.label), type: "variable", boost: 2 });
  out.push(...parameters(policy, here));
  for (const [name, sig] of Object.entries(FUNCTIONS)) out.push({ label: name, apply: `${name}(`, detail: sig, type: "function", boost: -1 });
  for (const word of [...KEYWORDS, ...CONSTANTS]) out.push({ label: word, type: "keyword", boost: -2 });
  return out;
}

/** A string being typed after an enum fact (`applicant.kind == "uni`, `… in ["uni`): its values. */
function enumValues(context, policy) {
  const before = context.state.sliceDoc(context.state.doc.lineAt(context.pos).from, context.pos);
  const open = /(["'])([^"']*)$/.exec(before);
  if (!open || (before.slice(0, open.index).split(open[1]).length - 1) % 2 !== 0) return null;
  const named = [...before.slice(0, open.index).matchAll(/\b((?:applicant|claim)\.[\p{L}\p{N}_]+)/gu)].pop();
  const fact = named && ((policy && policy.facts) || []).find((f) => f.name === named[1]);
  if (!fact || !Array.isArray(fact.values) || !fact.values.length) return null;
  const close = context.state.sliceDoc(context.pos, context.pos + 1) === open[1] ? "" : open[1];
  return {
    from: context.pos - open[2].length,
    options: fact.values.map((v) => ({ label: v, apply: v + close, detail: fact.name, type: "enum" })),
    validFor: /^[^"']*$/,
  };
}

/** After a fact scope or a table is picked (`claim.`, `tier.`), completion goes on with its members. */
export function completesFurther(completion) {
  return completion.type === "namespace" || completion.type === "class";
}

/**
 * A completion source for rule files, offering names only inside expression values; `policy()` gives
 * the loaded policy (state.policy).
 */
export function ruleCompletions(policy) {
  return (context) => {
    if (!inExpression(context.state, context.pos)) return null;
    const inString = enumValues(context, policy());
    if (inString) return inString;
    const word = context.matchBefore(/(?:[\p{L}\p{N}_]+\.)?[\p{L}\p{N}_]*/u);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const here = outline(context.state, context.pos);
    const dot = word.text.indexOf(".");
    if (dot < 0) {
      if (/^[0-9]/.test(word.text)) return null;      // a number, not a name
      return { from: word.from, options: names(policy(), here), validFor: /^[\p{L}\p{N}_]*$/u };
    }
    const head = word.text.slice(0, dot);
    const from = word.from + dot + 1;
    let options;
    if (head === "applicant" || head === "claim") options = facts(head, policy(), here);
    else if (here.tables.has(head)) {
      const table = here.tables.get(head);
      options = table.columns.map((c) => ({ label: c, detail: labelText(table.label), type: "property" }));
    } else return null;
    return { from, options, validFor: /^[\p{L}\p{N}_]*$/u };
  };
}
