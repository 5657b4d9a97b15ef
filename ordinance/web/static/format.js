// Values as the engine shows them: money "3,200,000.00 元 (320萬)", rates "40%". Exact: decimal
// strings are handled as digits (BigInt), never as binary floats.

import { t } from "./i18n.js";

const DEC = /^(-?)(\d+)(?:\.(\d+))?$/;

/** "3200000.5" -> {neg, int: 3200000n, frac: "5"}; null when not a plain decimal. */
function parseDecimal(text) {
  const m = DEC.exec(String(text).trim());
  if (!m) return null;
  return { neg: m[1] === "-", digits: m[2] + (m[3] || ""), scale: (m[3] || "").length };
}

/** Cents (BigInt), rounded half up, of a decimal string. */
function toCents(text) {
  const d = parseDecimal(text);
  if (!d) return null;
  let n = BigInt(d.digits);
  let scale = d.scale;
  if (scale <= 2) {
    n *= 10n ** BigInt(2 - scale);
  } else {
    const div = 10n ** BigInt(scale - 2);
    const q = n / div;
    const r = n % div;
    n = r * 2n >= div ? q + 1n : q;
  }
  return d.neg ? -n : n;
}

function groupThousands(intText) {
  return intText.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** An exact quotient of a non-negative BigInt by a power of ten, as a plain decimal string. */
function divPow10(n, power) {
  const s = n.toString().padStart(power + 1, "0");
  const intPart = s.slice(0, s.length - power);
  const frac = s.slice(s.length - power).replace(/0+$/, "");
  return { text: frac ? `${intPart}.${frac}` : intPart, fracDigits: frac.length };
}

/** 5000000 -> "500萬", as ordinance.values.chinese_amount (the spelling of the rounded figure). */
export function chineseAmount(cents) {
  const abs = cents < 0n ? -cents : cents;
  if (abs === 0n) return null;
  for (const [unit, power] of [["億", 8], ["萬", 4]]) {
    if (abs >= 10n ** BigInt(power + 2)) {
      const q = divPow10(abs, power + 2);
      if (q.fracDigits <= 4) return `${cents < 0n ? "-" : ""}${q.text}${unit}`;
    }
  }
  return null;
}

/** "3200000" -> "3,200,000.00 元 (320萬)". */
export function formatMoney(value, { short = false } = {}) {
  if (value === null || value === undefined) return "—";
  const cents = toCents(value);
  if (cents === null) return String(value);
  const abs = cents < 0n ? -cents : cents;
  const yuan = groupThousands((abs / 100n).toString());
  const fen = (abs % 100n).toString().padStart(2, "0");
  const text = `${cents < 0n ? "-" : ""}${yuan}.${fen} 元`;
  if (short) return text;
  const cn = chineseAmount(cents);
  return cn ? `${text} (${cn})` : text;
}

/** "0.4" -> "40%". */
export function formatRate(value) {
  const d = parseDecimal(value);
  if (!d) return String(value);
  const scaled = d.scale >= 2 ? d.digits.slice(0, d.digits.length - d.scale + 2) + "." + d.digits.slice(d.digits.length - d.scale + 2)
                              : d.digits + "0".repeat(2 - d.scale);
  let [i, f = ""] = scaled.split(".");
  i = i.replace(/^0+(?=\d)/, "");
  f = f.replace(/0+$/, "");
  return `${d.neg ? "-" : ""}${f ? `${i}.${f}` : i}%`;
}

/** A trace value by its type name, as ordinance.render.format.show. */
export function formatValue(value, type) {
  if (value === null || value === undefined) return t("value.missing");
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) {
    const inner = type && type.startsWith("list of ") ? type.slice(8) : null;
    return `[${value.map((v) => formatValue(v, inner)).join(", ")}]`;
  }
  if (typeof value === "object") {
    return Object.entries(value).map(([k, v]) => `${k} = ${formatValue(v)}`).join(", ");
  }
  if (type === "money") return formatMoney(value);
  if (type === "rate") return formatRate(value);
  if (typeof value === "string" && type && (type === "string" || type.startsWith("enum"))) return `"${value}"`;
  return String(value);
}

/** A table's result object with the step's types: "rate = 40%, cap = 5,000,000.00 元 (500萬)". */
export function formatResult(result, types) {
  if (result !== null && typeof result === "object" && !Array.isArray(result)) {
    return Object.entries(result).map(([k, v]) => `${k} = ${formatValue(v, types && types[k])}`).join(", ");
  }
  return formatValue(result, types && types.result);
}

// ---- money as typed by people -------------------------------------------------------------

const FULL_WIDTH = /[\uFF10-\uFF19\uFF0C\uFF0E]/g;
const ENGINE_MONEY = /^\s*\d(_?\d)*(\.\d+)?\s*((萬|万|億|亿)\s*元?|元)?\s*$/;
const GROUPED = /^\s*\d{1,3}(,\d{3})+(\.\d+)?\s*((萬|万|億|亿)\s*元?|元)?\s*$/;

/**
 * What the engine is sent for a money field: the text as typed, with full-width digits made ASCII
 * and thousands separators ("3,200,000") dropped. The engine converts 萬/万/億/亿 itself.
 */
export function normalizeMoney(text) {
  let s = String(text).replace(FULL_WIDTH, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0)).trim();
  if (GROUPED.test(s)) s = s.replace(/,/g, "");
  return s;
}

export function isMoneyText(text) {
  return ENGINE_MONEY.test(normalizeMoney(text));
}

/** A preview of a money text in yuan ("1000萬" -> "10,000,000.00 元"); null when not money. */
export function previewMoney(text) {
  const s = normalizeMoney(text);
  if (!ENGINE_MONEY.test(s)) return null;
  const m = /^(\d[\d_]*(?:\.\d+)?)\s*(萬|万|億|亿)?/.exec(s.trim());
  if (!m) return null;
  const number = m[1].replace(/_/g, "");
  const power = { "萬": 4, "万": 4, "億": 8, "亿": 8 }[m[2]] || 0;
  const d = parseDecimal(number);
  if (!d) return null;
  // shift the decimal point `power` places right
  let digits = d.digits + "0".repeat(Math.max(0, power - d.scale));
  const scale = Math.max(0, d.scale - power);
  const text2 = scale ? `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}` : digits;
  return formatMoney(text2.replace(/^0+(?=\d)/, ""), { short: true });
}
