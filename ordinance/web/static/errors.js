// Errors from the API (application/problem+json) shown as text, with the engine's located problems.

import { h, replace } from "./dom.js";
import { t } from "./i18n.js";
import { ApiError, problemLocation } from "./api.js";

export function problemLine(p) {
  const loc = problemLocation(p);
  const where = loc ? `${loc.file ? `${loc.file}:` : ""}${loc.line}:${loc.column}` : (p.path || "");
  return h("li", { class: "problem-line" },
    where ? h("code", { class: "where" }, where) : null,
    p.code ? h("span", { class: "code" }, ` ${p.code}`) : null,
    h("span", { class: "msg" }, ` ${p.message || ""}`),
    p.path && loc ? h("span", { class: "muted" }, ` (${p.path})`) : null,
    p.hint ? h("span", { class: "hint" }, ` — ${p.hint}`) : null);
}

/** Show `err` in the alert element `el` (hidden when err is null). */
export function showError(el, err) {
  if (!err) {
    el.hidden = true;
    replace(el);
    return;
  }
  let title = t("error.title");
  let detail = String(err && err.message || err);
  let problems = [];
  if (err instanceof ApiError) {
    if (err.status === 0) detail = t("error.network");
    else {
      title = `${err.title || t("error.title")} (${t("error.status", { status: err.status })}${err.code ? `, ${err.code}` : ""})`;
      detail = err.detail || "";
    }
    problems = err.problems;
  }
  replace(el,
    h("strong", { class: "alert-title" }, title),
    detail ? h("p", { class: "alert-detail" }, detail) : null,
    problems.length ? h("ul", { class: "alert-problems" }, problems.map(problemLine)) : null);
  el.hidden = false;
}
