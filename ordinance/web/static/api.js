// The HTTP API of `ordinance serve`: same origin only, relative URLs, JSON in and out, in the language
// of the page (Accept-Language).

import { lang } from "./i18n.js";

/** The name the API gives a case sent in the body: the id of a case without one, and the file name of
 * the locations in a case sent as text (ordinance/web/api.py CASE_NAME). */
export const CASE_NAME = "<case>";

export class ApiError extends Error {
  /** A problem+json answer (or a network failure): status, code, title, detail, problems. */
  constructor(status, body, language = null) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.language = language;   // the answer's Content-Language, when the server said
    this.body = body || {};
    this.code = this.body.code || null;
    this.title = this.body.title || null;
    this.detail = this.body.detail || null;
    this.problems = Array.isArray(this.body.problems) ? this.body.problems : [];
  }
}

async function request(method, url, body, { accept = "application/json", signal } = {}) {
  const init = { method, headers: { Accept: `${accept}, application/problem+json`,
                                    "Accept-Language": lang() === "zh" ? "zh-Hant, zh;q=0.9, en;q=0.5" : "en, zh;q=0.5" },
                 signal, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, { title: "network", detail: String(err && err.message || err) });
  }
  const type = response.headers.get("Content-Type") || "";
  if (!response.ok) {
    let data = null;
    if (type.includes("json")) {
      try { data = await response.json(); } catch { data = null; }
    } else {
      try { data = { detail: (await response.text()).slice(0, 500) }; } catch { data = null; }
    }
    throw new ApiError(response.status, { status: response.status, ...(data || {}) }, response.headers.get("Content-Language"));
  }
  if (accept === "text/html") return response.blob();
  return type.includes("json") ? response.json() : response.text();
}

export const api = {
  health: () => request("GET", "/healthz"),
  policies: () => request("GET", "/v1/policies"),
  policy: (id) => request("GET", `/v1/policies/${encodeURIComponent(id)}`),
  caseSchema: (id) => request("GET", `/v1/schema/case${id ? `?policy=${encodeURIComponent(id)}` : ""}`),
  decide: (body, opts) => request("POST", "/v1/decide", body, opts),
  decideHtml: (body) => request("POST", "/v1/decide", { ...body, format: "html" }, { accept: "text/html" }),
  explain: (body) => request("POST", "/v1/explain", body),
  check: (body, opts) => request("POST", "/v1/check", body, opts),
  try: (body) => request("POST", "/v1/try", body),
  compare: (body) => request("POST", "/v1/compare", body),
};

/** Where a problem points: {file, line, column, endLine, endColumn} or null. */
export function problemLocation(p) {
  const loc = p && (p.location || (p.line !== undefined ? p : null));
  if (!loc || !loc.line) return null;
  return {
    file: loc.file || p.file || null,
    line: Number(loc.line),
    column: Number(loc.column || 1),
    endLine: loc.end_line ? Number(loc.end_line) : null,
    endColumn: loc.end_column ? Number(loc.end_column) : null,
  };
}
