// Errors from the API (application/problem+json) shown as text, with the engine's located problems:
// each message once, under a title in the page's language.

import { h, replace } from "./dom.js";
import { t, lang } from "./i18n.js";
import { ApiError, CASE_NAME, problemLocation } from "./api.js";

export function problemLine(p) {
  const loc = problemLocation(p);
  // a place in the case text sent (named CASE_NAME by the API) is its line and column alone
  const file = loc && loc.file && loc.file !== CASE_NAME ? loc.file : null;
  const where = loc ? `${file ? `${file}:` : ""}${loc.line}:${loc.column}` : (p.path || "");
  return h("li", { class: "problem-line" },
    where ? h("code", { class: "where" }, where) : null,
    p.code ? h("span", { class: "code", "data-from": "engine" }, ` ${p.code}`) : null,
    h("span", { class: "msg", "data-from": "engine" }, ` ${p.message || ""}`),
    p.path && loc ? h("span", { class: "muted", "data-from": "engine" }, ` (${p.path})`) : null,
    p.hint ? h("span", { class: "hint", "data-from": "engine" }, ` — ${p.hint}`) : null);
}

const CJK = /[\u3400-\u9fff]/;

/** Whether text from the server is in the page's language: its Content-Language when it gave one, else
 * whether it is written in Chinese characters. */
function inPageLanguage(text, language) {
  if (language) return language.toLowerCase().startsWith(lang());
  return CJK.test(text) === (lang() === "zh");
}

/** The title of an API error: the server's when it speaks the page's language, else the page's own
 * words for the HTTP status. */
function errorTitle(err) {
  if (err.title && inPageLanguage(err.title, err.language)) return h("span", { "data-from": "engine" }, err.title);
  const key = `error.http.${err.status}`;
  return t(key) === key ? t("error.title") : t(key);
}

/**
 * What the detail says beyond the problems listed under it. The API's detail is the first problem's
 * headline ("claims[0].date: wrong-type: message", "and 2 more"), sometimes after a few words of
 * context ("under the left policy: "): only those words are left, or nothing.
 */
export function detailBeyond(detail, problems) {
  const first = problems[0];
  if (!detail || !first || !first.message) return detail || "";
  const at = detail.indexOf(first.message);
  if (at < 0) return detail;
  let before = detail.slice(0, at);
  if (first.code && before.endsWith(`${first.code}: `)) before = before.slice(0, -(first.code.length + 2));
  before = before.replace(/\S*: $/, "");          // the problem's place: a path, or file:line:column
  return before.replace(/[\s:：]+$/, "");
}

/** Show `err` in the alert element `el` (hidden when err is null). */
export function showError(el, err) {
  if (!err) {
    el.hidden = true;
    replace(el);
    return;
  }
  let title = [t("error.title")];
  let detail = String(err && err.message || err);
  let problems = [];
  let fromServer = false;
  if (err instanceof ApiError) {
    if (err.status === 0) detail = t("error.network");
    else {
      const [open, comma, close] = lang() === "zh" ? ["（", "，", "）"] : [" (", ", ", ")"];
      title = [errorTitle(err), open, t("error.status", { status: err.status }),
        err.code ? [comma, h("code", { class: "error-code" }, err.code)] : null, close];
      problems = err.problems;
      detail = detailBeyond(err.detail || "", problems);
      fromServer = true;
    }
  }
  replace(el,
    h("strong", { class: "alert-title" }, title),
    detail ? h("p", { class: "alert-detail", "data-from": fromServer ? "engine" : null }, detail) : null,
    problems.length ? h("ul", { class: "alert-problems" }, problems.map(problemLine)) : null);
  el.hidden = false;
}
