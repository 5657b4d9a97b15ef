// The language of rule files, for the editor: YAML (CodeMirror's Lezer parser), and inside the values
// that hold expressions, the expression language of docs/language.md, tokenized as the grammar
// (ordinance/grammar/expression.lark) lexes it and tagged for highlighting.
//
// The words below are the engine's, copied once: tests/test_web_editor.py reads these lists and fails
// if they differ from the grammar's keywords, the checker's functions and built-in facts, or the keys
// of ordinance/schema/rules.schema.json whose values are expressions. Each list is JSON on its own.

import {
  LanguageSupport, StreamLanguage, Tag, parseMixed, tagHighlighter, tags, yamlLanguage,
} from "./vendor/codemirror.js";

// ---- the engine's words (checked against the Python side by tests/test_web_editor.py) ---------------

export const KEYWORDS = ["if", "then", "else", "and", "or", "not", "in"];
export const CONSTANTS = ["true", "false"];
export const FUNCTIONS = {
  "min": "min(a, b, ...) or min(list)",
  "max": "max(a, b, ...) or max(list)",
  "floor": "floor(x) or floor(x, unit)",
  "ceil": "ceil(x) or ceil(x, unit)",
  "round": "round(x) or round(x, unit)",
  "abs": "abs(x)",
  "year": "year(date)",
  "month": "month(date)",
  "date": "date(year, month, day)",
  "between": "between(x, low, high), both ends included",
  "sum": "sum(list)",
  "count": "count(list)",
  "any": "any(list of bool)",
  "all": "all(list of bool)",
  "cap": "cap(amount, limit)"
};
export const BUILTIN_FACTS = {
  "claim.id": ["string", "申請編號", "claim id"],
  "claim.date": ["date", "申請日期", "date of the claim"],
  "claim.project": ["string", "項目編號", "project id"],
  "applicant.id": ["string", "申請主體編號", "applicant id"],
  "applicant.name": ["string", "申請主體名稱", "applicant name"]
};
/** Keys whose value is an expression. */
export const EXPRESSION_KEYS = ["amount", "ceiling", "duration", "example", "expr", "limit", "rank_by", "value", "when"];
/** Keys whose mapping holds an expression under every key (a row's cells, named values, parameters). */
export const EXPRESSION_MAPS = ["parameters", "set", "values"];

// ---- tokens ------------------------------------------------------------------------------------

/** Tags of the literals with a unit, beneath the tags every highlighter knows. */
export const ruleTags = {
  money: Tag.define(tags.number),
  rate: Tag.define(tags.number),
  duration: Tag.define(tags.number),
  date: Tag.define(tags.literal),
};

// The terminals of expression.lark, in the order its lexer tries them (DATE before DURATION before
// MONEY and PERCENT before NUMBER); a name is letters, digits and _, not starting with a digit.
const WORD = "[\\p{L}\\p{N}_]";
const DECIMAL = "[0-9](?:_?[0-9])*(?:\\.[0-9](?:_?[0-9])*)?";
const LITERALS = [
  ["date", new RegExp(`^[0-9]{4}-[0-9]{2}-[0-9]{2}(?!${WORD})`, "u")],
  ["duration", new RegExp(`^[0-9]+[ \\t]*(?:years?|months?|days?)(?!${WORD})|^[0-9]+[ \\t]*(?:年|個月|个月|日|天)`, "u")],
  ["money", new RegExp(`^${DECIMAL}[ \\t]*(?:(?:萬|万|億|亿)(?:[ \\t]*元)?|元)`, "u")],
  ["rate", new RegExp(`^${DECIMAL}[ \\t]*%`, "u")],
  ["number", new RegExp(`^${DECIMAL}`, "u")],
  ["string", /^(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')/u],
  ["operator", /^(?:==|!=|<=|>=|[<>≠≤≥+\-*×/÷])/u],
];
const NAME = new RegExp(`^(?![0-9])${WORD}+`, "u");
const CONTROL = new Set(["if", "then", "else"]);
const FACT_SCOPES = new Set(["claim", "applicant"]);

function token(stream, state) {
  if (stream.eatSpace()) return null;
  const afterDot = state.afterDot;
  state.afterDot = false;
  for (const [kind, re] of LITERALS) if (stream.match(re)) return kind;
  if (stream.match(NAME)) {
    const word = stream.current();
    if (afterDot) return "member";
    if (CONTROL.has(word)) return "controlKeyword";
    if (KEYWORDS.includes(word)) return "operatorKeyword";
    if (CONSTANTS.includes(word)) return "bool";
    if (stream.peek() === ".") return FACT_SCOPES.has(word) ? "factScope" : "tableName";
    if (/^\s*\(/.test(stream.string.slice(stream.pos))) return "callee";
    return "variableName";
  }
  const ch = stream.next();
  if (ch === ".") { state.afterDot = true; return "derefOperator"; }
  if (ch === "(" || ch === ")") return "paren";
  if (ch === "[" || ch === "]") return "squareBracket";
  if (ch === ",") return "separator";
  if (ch === "\"" || ch === "'") { stream.skipToEnd(); return "invalid"; }   // a string left open
  return "invalid";
}

/** The expression language alone (what a value under `when:`, `amount:` ... holds). */
export const expressionLanguage = StreamLanguage.define({
  name: "ordinance-expression",
  startState: () => ({ afterDot: false }),
  copyState: (s) => ({ afterDot: s.afterDot }),
  token,
  tokenTable: {
    money: ruleTags.money, rate: ruleTags.rate, duration: ruleTags.duration, date: ruleTags.date,
    member: tags.propertyName, factScope: tags.namespace, tableName: tags.className,
    callee: tags.function(tags.variableName),
  },
  languageData: { wordChars: "_" },
});

// ---- expressions inside YAML ---------------------------------------------------------------------

/** The YAML nodes of a scalar value: its text is an expression when holdsExpression says so. */
export const SCALARS = new Set(["Literal", "QuotedLiteral", "BlockLiteralContent"]);

function keyText(pair, input) {
  const key = pair && pair.getChild("Key");
  if (!key) return null;
  const text = input.read(key.from, key.to).trim();
  return /^(["']).*\1$/.test(text) ? text.slice(1, -1) : text;
}

/** Is `value` (a scalar node) the value of an expression key, or a value of an expression mapping? */
export function holdsExpression(value, input) {
  const pair = value.parent;
  if (!pair || pair.name !== "Pair") return false;
  if (EXPRESSION_KEYS.includes(keyText(pair, input))) return true;
  const mapping = pair.parent;
  const owner = mapping && (mapping.name === "BlockMapping" || mapping.name === "FlowMapping") ? mapping.parent : null;
  return !!owner && owner.name === "Pair" && EXPRESSION_MAPS.includes(keyText(owner, input));
}

const nestExpressions = parseMixed((ref, input) => {
  const { name } = ref;
  if (!SCALARS.has(name)) return null;
  const node = ref.node;
  if (!holdsExpression(name === "BlockLiteralContent" ? node.parent : node, input)) return null;
  if (name === "QuotedLiteral") {
    // the text between the quotes (a quoted expression holds no YAML escapes in practice)
    return ref.to - ref.from > 2 ? { parser: expressionLanguage.parser, overlay: [{ from: ref.from + 1, to: ref.to - 1 }] } : null;
  }
  return { parser: expressionLanguage.parser };
});

/** YAML with the expression language inside its expression values. */
export const ruleFileLanguage = yamlLanguage.configure({ wrap: nestExpressions }, "ordinance-rules");

/** The language, for an editor's extensions. */
export function ruleFile() {
  return new LanguageSupport(ruleFileLanguage);
}

/** Classes for the tokens (`tok-…`), styled by the editor's theme. */
export const ruleHighlighter = tagHighlighter([
  { tag: [tags.controlKeyword, tags.operatorKeyword], class: "tok-keyword" },
  { tag: tags.bool, class: "tok-bool" },
  { tag: ruleTags.money, class: "tok-money" },
  { tag: ruleTags.rate, class: "tok-rate" },
  { tag: ruleTags.duration, class: "tok-duration" },
  { tag: ruleTags.date, class: "tok-date" },
  { tag: tags.number, class: "tok-number" },
  { tag: tags.string, class: "tok-string" },
  { tag: [tags.operator, tags.derefOperator], class: "tok-operator" },
  { tag: tags.namespace, class: "tok-fact" },
  { tag: tags.className, class: "tok-table" },
  { tag: tags.definition(tags.propertyName), class: "tok-key" },
  { tag: tags.propertyName, class: "tok-member" },
  { tag: tags.function(tags.variableName), class: "tok-function" },
  { tag: tags.variableName, class: "tok-name" },
  { tag: [tags.paren, tags.squareBracket, tags.brace], class: "tok-bracket" },
  { tag: tags.lineComment, class: "tok-comment" },
  { tag: [tags.separator, tags.punctuation], class: "tok-punctuation" },
  { tag: tags.invalid, class: "tok-invalid" },
]);
