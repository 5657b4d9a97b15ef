"""The HTML rendering: one self-contained, printable audit report of a decision.

One file, nothing to fetch: the CSS is inline, there is no script, no external font, image, link or
URL of any kind, so the report opens the same offline, in an archive, or years later.  It holds the
policy's id and digest, the date of evaluation, the facts of the case (collected from the ``facts``
steps of the claims' traces), a summary of the claims, and for each claim its result, reasons,
missing facts, notes, what kept it from its benefit (:func:`ordinance.render.explain.why_not`) and
its derivation as a collapsible tree (``<details>``): the steps that refused a claim or left it open
are expanded, the others can be opened; printing expands everything.

Every string is escaped: rule text and case data are untrusted.  The words are in ``lang`` (``en``,
``zh``: :mod:`ordinance.render.text` says how); the document is marked with its language
(``lang="en"`` or ``lang="zh-Hant"``), and in an English report the Chinese passages — the
statute's quotes, the Chinese of the rule files' labels, a reason's Chinese — ``lang="zh-Hant"``,
so a screen reader says each in its language (WCAG 2.1 3.1.1 and 3.1.2).  The fonts do not depend
on it: the CSS names CJK fonts for the whole page.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict

from ..decision import ClaimResult, Decision
from ..front.model import Citation, Label
from ..trace import TraceNode
from .explain import Finding, why_not
from ..messages import join
from .format import show, show_amount
from .text import (MARK, FactLabels, Words, amount_text, basis_text, kind_text, label_text, result_text, say,
                   shows_id, status_text, words)
_MARK_CLASS = {"true": "ok", "false": "fail", "undetermined": "open"}

CSS = """
:root { --ink: #1f2328; --muted: #59636e; --rule: #d1d9e0; --soft: #f6f8fa;
  --ok: #1a7f37; --ok-bg: #dafbe1; --fail: #cf222e; --fail-bg: #ffebe9;
  --open: #9a6700; --open-bg: #fff8c5; --sup: #8250df; --sup-bg: #fbefff; }
* { box-sizing: border-box; }
html { font-family: "Noto Sans CJK TC", "Noto Sans TC", "Source Han Sans TC", "PingFang TC",
  "Microsoft JhengHei", "Noto Sans CJK SC", "Noto Sans", "DejaVu Sans", sans-serif;
  color: var(--ink); background: #fff; line-height: 1.5; font-size: 15px; }
body { max-width: 72rem; margin: 0 auto; padding: 1.5rem 2rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 0 0 .25rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
code, .mono { font-family: "DejaVu Sans Mono", "Noto Sans Mono CJK TC", "Noto Sans Mono", monospace;
  font-size: .9em; }
code { background: var(--soft); border-radius: 4px; padding: 0 .25em; overflow-wrap: anywhere; }
.subtitle { color: var(--muted); margin: 0 0 1rem; }
table { border-collapse: collapse; margin: .4rem 0 1rem; }
th, td { border: 1px solid var(--rule); padding: .3rem .55rem; text-align: left; vertical-align: top; }
thead th { background: var(--soft); }
table.meta th { background: var(--soft); white-space: nowrap; }
table.meta td, table.meta th { border-color: var(--rule); }
td.money, td.amount, td.basis { white-space: nowrap; }
.digest { overflow-wrap: anywhere; }
.badge { display: inline-block; padding: .05rem .55rem; border-radius: 1rem; font-weight: 600;
  font-size: .85em; border: 1px solid currentColor; white-space: nowrap; }
.status-eligible { color: var(--ok); background: var(--ok-bg); }
.status-ineligible { color: var(--fail); background: var(--fail-bg); }
.status-undetermined { color: var(--open); background: var(--open-bg); }
.status-superseded { color: var(--sup); background: var(--sup-bg); }
section.claim { border: 1px solid var(--rule); border-left: 6px solid var(--rule); border-radius: 6px;
  padding: 1rem 1.25rem; margin: 1.5rem 0; }
section.claim.s-eligible { border-left-color: var(--ok); }
section.claim.s-ineligible { border-left-color: var(--fail); }
section.claim.s-undetermined { border-left-color: var(--open); }
section.claim.s-superseded { border-left-color: var(--sup); }
.claim-head { display: flex; flex-wrap: wrap; gap: .6rem; align-items: baseline; }
.title { color: var(--muted); margin: .1rem 0 .6rem; }
ul.reasons li, ul.missing li, ul.notes li { margin: .15rem 0; }
ol.whynot { padding-left: 1.6rem; }
ol.whynot > li { margin: .5rem 0 .8rem; padding: .4rem .7rem; background: var(--soft); border-radius: 6px; }
ol.whynot .change { list-style: none; padding-left: 0; margin: .3rem 0; }
ol.whynot .change li::before { content: "→ "; color: var(--muted); }
.finding-title { font-weight: 600; }
ul.tree, ul.tree ul { list-style: none; padding-left: 1.1rem; margin: .1rem 0; }
ul.tree { padding-left: 0; }
ul.tree ul { border-left: 1px dotted var(--rule); margin-left: .35rem; }
ul.tree li { margin: .15rem 0; }
summary { cursor: pointer; padding: .05rem .2rem; border-radius: 4px; }
summary:hover { background: var(--soft); }
details > .body { margin: .15rem 0 .35rem 1.2rem; font-size: .93em; }
.kind { font-weight: 600; }
.id { color: var(--muted); }
.arrow { color: var(--muted); }
.result { font-weight: 600; }
.mark { display: inline-block; width: 1.1em; text-align: center; font-weight: 700; }
.mark.ok { color: var(--ok); }
.mark.fail { color: var(--fail); }
.mark.open { color: var(--open); }
li.n-fail > details > summary { background: var(--fail-bg); }
li.n-open > details > summary { background: var(--open-bg); }
table.inputs { margin: .2rem 0; font-size: .95em; }
table.inputs th { font-weight: normal; background: var(--soft); }
.note { color: var(--ink); margin: .1rem 0; }
blockquote.cite { margin: .25rem 0; padding: .2rem .6rem; border-left: 3px solid #8c959f;
  background: #fbfbfb; color: #33383d; }
.article { font-weight: 600; margin-right: .3rem; }
.srcline, .loc { color: var(--muted); font-size: .92em; }
.loc { margin: .1rem 0; }
.legend { color: var(--muted); font-size: .9em; }
footer { color: var(--muted); font-size: .85em; margin-top: 2rem; border-top: 1px solid var(--rule);
  padding-top: .5rem; }
@media print {
  html { font-size: 10pt; }
  body { max-width: none; padding: 0; }
  details::details-content { content-visibility: visible; display: block; }
  summary { list-style: none; cursor: auto; }
  summary::-webkit-details-marker { display: none; }
  section.claim { break-inside: avoid; page-break-inside: avoid; border-left-width: 4px; }
  h1, h2, h3, summary { break-after: avoid; page-break-after: avoid; }
  tr, blockquote, ol.whynot > li { break-inside: avoid; page-break-inside: avoid; }
  .badge, .status-eligible, .status-ineligible, .status-undetermined, .status-superseded,
  li.n-fail > details > summary, li.n-open > details > summary {
    -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def esc(text: object) -> str:
    """Any text for HTML content or a quoted attribute."""
    return html.escape(str(text), quote=True)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def render_decision(decision: Decision, *, colour: bool = False, lang: str = "en",
                    labels: FactLabels | None = None) -> str:
    """The decision as one HTML document (``colour`` is accepted for the common signature; the
    report is always in colour, and prints in colour)."""
    anchors = {id(r): f"claim-{i + 1}-{_slug(r.claim)}" for i, r in enumerate(decision.results)}
    t = _Words(lang, labels)
    out: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{"en" if lang == "en" else "zh-Hant"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(t('report.html.title', case=decision.case, policy=decision.policy_id))}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{t('report.html.heading', case=f'<code>{esc(decision.case)}</code>')}</h1>",
        f'<p class="subtitle">{t("report.html.subtitle")}</p>',
        '<table class="meta">',
        f"<tr><th>{t('report.policy')}</th><td><code>{esc(decision.policy_id)}</code></td></tr>",
        f'<tr><th>{t("report.policy-digest")}</th><td><code class="digest">{esc(decision.policy_digest)}</code>'
        "</td></tr>",
    ]
    if len(decision.policies) > 1:
        loaded = "<br>".join(f"<code>{esc(p.get('id', ''))}</code> sha256 <code class=\"digest\">"
                             f"{esc(p.get('digest', ''))}</code>" for p in decision.policies)
        out.append(f"<tr><th>{t('report.html.policies-loaded')}</th><td>{loaded}</td></tr>")
    as_of = (esc(decision.as_of.isoformat()) if decision.as_of is not None else esc(t("report.html.no-as-of")))
    out.append(f"<tr><th>{t('report.date-of-evaluation')}</th><td>{as_of}</td></tr>")
    out.append(f'<tr><th>{t("report.total-due")}</th><td class="money">{esc(show_amount(decision.total))}</td></tr>')
    still = decision.open_words()
    if still is not None:
        out.append(f'<tr><th>{t("report.still-open")}</th><td class="money">{esc(words(still, lang))}</td></tr>')
    out.append("</table>")
    out.append("</header>")
    out.extend(_summary_table(decision, anchors, t))
    out.extend(_facts_table(decision, anchors, t))
    for r in decision.results:
        out.extend(_claim(r, anchors[id(r)], _Words(lang, labels, r.measure)))
    out.append(f"<footer>{t('report.html.footer')}</footer>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


class _Words(Words):
    """The words of an HTML rendering."""

    def label_html(self, label: Label) -> str:
        """A label as HTML: in English ``zh / en`` with the Chinese marked ``lang="zh-Hant"`` (a screen
        reader says each part in its language); in Chinese, its Chinese."""
        if self.lang != "en" or label.zh == label.en:
            return esc(self.label(label))
        return f'<span lang="zh-Hant">{esc(label.zh)}</span> / {esc(label.en)}'

    def fact(self, name: str, measure: str | None = None) -> str:
        """A fact as HTML: ``label <code>key</code>`` when its label is known, the key alone otherwise."""
        label = self.labels(measure or self.measure, name) if self.labels is not None else None
        if label is None:
            return f"<code>{esc(name)}</code>"
        return self("report.fact-named", label=esc(label_text(label, self.lang)), name=f"<code>{esc(name)}</code>")


def _status(status: str, lang: str = "en") -> str:
    return f'<span class="badge status-{_slug(status)}">{esc(status_text(status, lang))}</span>'


def _summary_table(decision: Decision, anchors: dict[int, str], t: "_Words") -> list[str]:
    out = ["<section class=\"summary\">", f"<h2>{t('report.claims')}</h2>", "<table>",
           f"<thead><tr><th>{t('report.col.claim')}</th><th>{t('report.col.measure')}</th>"
           f"<th>{t('report.col.status')}</th><th>{t('report.col.amount')}</th><th>{t('report.col.basis')}</th>"
           "</tr></thead>", "<tbody>"]
    for r in decision.results:
        title = t.label_html(r.trace.label) if r.trace is not None and r.trace.label is not None else ""
        out.append(f'<tr><td><a href="#{anchors[id(r)]}"><code>{esc(r.claim)}</code></a></td>'
                   f"<td><code>{esc(r.measure)}</code><br>{title}</td><td>{_status(r.status, t.lang)}</td>"
                   f'<td class="amount">{esc(amount_text(r, t.lang))}</td>'
                   f'<td class="basis">{esc(basis_text(r, t.lang))}</td></tr>')
    out += ["</tbody>", "</table>", "</section>"]
    return out


def _facts_table(decision: Decision, anchors: dict[int, str], t: "_Words") -> list[str]:
    """The facts stated in the case, from the ``facts`` steps of the claims' traces."""
    stated: dict[str, dict[str, list[ClaimResult]]] = defaultdict(lambda: defaultdict(list))
    traced = [r for r in decision.results if r.trace is not None]
    for r in traced:
        facts = r.trace.find("facts") if r.trace is not None else None
        if facts is None:
            continue
        for name, value in facts.inputs.items():
            stated[name][show(value, facts.types.get(name), t.lang)].append(r)
    out = ['<section class="facts">', f"<h2>{t('report.html.facts')}</h2>"]
    if not stated:
        out.append(f"<p>{t('report.html.no-facts')}</p>")
        out.append("</section>")
        return out
    out += ["<table>", f"<thead><tr><th>{t('report.html.fact')}</th><th>{t('report.html.value')}</th>"
            f"<th>{t('report.html.stated-for')}</th></tr></thead>", "<tbody>"]
    for name in sorted(stated):
        for value, claims in stated[name].items():
            if len(claims) == len(traced) and len(traced) > 1:
                who = t("report.html.all-claims")
            else:
                who = join(f'<a href="#{anchors[id(c)]}"><code>{esc(c.claim)}</code></a>'
                           for c in claims).in_lang(t.lang)
            shown = f"<code>{esc(name)}</code>" if t.lang == "en" else t.fact(name, claims[0].measure)
            out.append(f"<tr><td>{shown}</td><td>{esc(value)}</td><td>{who}</td></tr>")
    out += ["</tbody>", "</table>", "</section>"]
    return out


def _claim(r: ClaimResult, anchor: str, t: "_Words | None" = None) -> list[str]:
    t = t or _Words("en")
    lang = t.lang
    findings = why_not(r, lang, t.labels)
    out = [f'<section class="claim s-{_slug(r.status)}" id="{anchor}">',
           f'<div class="claim-head"><h2>{t("report.html.claim", claim=f"<code>{esc(r.claim)}</code>")} · '
           f'<code>{esc(r.measure)}</code></h2>{_status(r.status, lang)}</div>']
    if r.trace is not None and r.trace.label is not None:
        out.append(f'<p class="title">{t.label_html(r.trace.label)}</p>')
    rows = [(t("report.html.status"), _status(r.status, lang))]
    if r.policy:
        rows.append((t("report.policy"), f"<code>{esc(r.policy)}</code>"))
    benefit = t(f"report.benefit-kind.{r.benefit}") if r.benefit in _BENEFITS else r.benefit
    rows += [(t("report.html.benefit"), esc(benefit))]
    if r.benefit == "money":
        rows.append((t("report.html.amount"), esc(show_amount(r.amount))))
    if r.ceiling is not None:
        rows.append((t("report.html.ceiling"), esc(show_amount(r.ceiling))))
    if r.duration is not None:
        rows.append((t("report.html.duration"), esc(r.duration)))
    rows.append((t("report.html.basis"), esc(basis_text(r, lang))))
    if r.superseded_by:
        rows.append((t("report.html.superseded-by"), f"<code>{esc(r.superseded_by)}</code>"))
    if r.project:
        rows.append((t("report.html.project"), f"<code>{esc(r.project)}</code>"))
    if r.date is not None:
        rows.append((t("report.html.claim-date"), esc(r.date.isoformat())))
    if r.quota is not None:
        q = r.trace.find("quota") if r.trace is not None else None
        rank_type = q.types.get("rank value") if q is not None else None
        rows.append((t("report.html.quota"), esc(quota_text(r.quota, rank_type, lang))))
    if r.trace is not None and r.trace.location is not None:
        rows.append((t("report.html.rule"), f"<code>{esc(r.trace.location)}</code>"))
    out.append('<table class="meta">')
    out += [f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows]
    out.append("</table>")
    if r.trace is not None and r.trace.citation is not None and r.trace.citation.text:
        out.append(_citation(r.trace.citation, lang))
    if r.trace is not None:
        out += [f'<p class="note">{esc(words(note, lang))}</p>' for note in r.trace.notes]
    if r.reasons:
        out += [f"<h3>{t('report.reasons')}</h3>", '<ul class="reasons">']
        if lang == "en":
            out += [f"<li>{esc(x['en'])} <span lang=\"zh-Hant\">（{esc(x['zh'])}）</span> "
                    f"<code>{esc(x['code'])}</code></li>" for x in r.reasons]
        else:
            out += [f"<li>{esc(x['zh'])} <code>{esc(x['code'])}</code></li>" for x in r.reasons]
        out.append("</ul>")
    if r.missing:
        out += [f"<h3>{t('report.facts-needed')}</h3>", '<ul class="missing">']
        out += [f"<li>{t.fact(m)}</li>" for m in r.missing]
        out.append("</ul>")
    if r.notes:
        out += [f"<h3>{t('report.notes')}</h3>", '<ul class="notes">']
        out += [f"<li>{esc(words(n, lang))}</li>" for n in r.notes]
        out.append("</ul>")
    if findings:
        out += [f"<h3>{t('report.why-not')}</h3>", '<ol class="whynot">']
        for f in findings:
            out.extend(_finding(f, t))
        out.append("</ol>")
    out.append(f"<h3>{t('report.derivation')}</h3>")
    if r.trace is None:
        out.append(f"<p>{t('report.no-trace')}</p>")
    else:
        opened = _to_open(r.trace, findings)
        out.append('<ul class="tree">')
        for child in r.trace.children:
            out.extend(_node(child, opened, t))
        out.append("</ul>")
    out.append("</section>")
    return out


_BENEFITS = ("money", "assessed", "in-kind", "support")
_QUOTA_KEYS = ("count", "per", "year", "rank_by", "rank_value", "status", "position", "contenders", "already_awarded")


def quota_text(quota: dict, rank_type: str | None, lang: str = "en") -> str:
    """A claim's place under its quota (``count = 10, per = year, ...``); its keys in Chinese in ``zh``."""
    if lang == "en":
        return ", ".join(f"{k} = {show(v, rank_type if k == 'rank_value' else None)}" for k, v in quota.items())
    items = []
    for k, v in quota.items():
        shown = show(v, rank_type if k == "rank_value" else None, lang)
        if k == "status" and isinstance(v, str):
            shown = status_text(v, lang)
        elif k == "per" and v == "year":
            shown = say("words.per.year", lang)
        items.append(f"{say(f'report.quota.{k}', lang) if k in _QUOTA_KEYS else k} = {shown}")
    return join(items, "sep.inputs").in_lang(lang)


def _to_open(root: TraceNode, findings: list[Finding]) -> set[int]:
    """The steps shown expanded: failed or undetermined conditions and validity checks, the steps of
    the findings, and every step above them."""
    parents: dict[int, TraceNode] = {}
    for node in root.walk():
        for child in node.children:
            parents[id(child)] = node
    wanted = [n for n in root.walk()
              if n.kind in ("condition", "validity") and n.status in ("false", "undetermined")]
    for f in findings:
        wanted += [n for n in [f.node, *f.steps] if n is not None]
    opened: set[int] = set()
    for node in wanted:
        while node is not None and node is not root and id(node) not in opened:
            opened.add(id(node))
            node = parents.get(id(node))
    return opened


def _citation(c: Citation, lang: str = "en") -> str:
    # the statute is Chinese: in an English report the quote is marked so, the line's words English
    marks = (' lang="zh-Hant"', ' lang="en"') if lang == "en" else ("", "")
    line = (f' <span class="srcline"{marks[1]}>{esc(say("report.html.source-line", lang, line=c.source_line))}'
            "</span>") if c.source_line else ""
    return (f'<blockquote class="cite"{marks[0]}><span class="article">{esc(c.article)}</span>'
            f"「{esc(c.text)}」{line}</blockquote>")


def _inputs(items: list[tuple[str, str]], lang: str = "en") -> str:
    # a name is code in English; in Chinese, words (a fact's label and key, an input of the engine's own)
    cell = (lambda k: f"<code>{esc(k)}</code>") if lang == "en" else esc
    rows = "".join(f"<tr><th>{cell(k)}</th><td>{esc(v)}</td></tr>" for k, v in items)
    return f'<table class="inputs">{rows}</table>'


def _finding(f: Finding, t: "_Words | None" = None) -> list[str]:
    t = t or _Words("en")
    out = ["<li>", f'<div class="finding-title">{esc(f.title)}</div>']
    if f.expression:
        out.append(f"<div><code>{esc(words(f.expression, t.lang))}</code></div>")
    if f.inputs:
        out.append(_inputs(f.inputs, t.lang))
    if f.change:
        out.append('<ul class="change">' + "".join(f"<li>{esc(s)}</li>" for s in f.change) + "</ul>")
    if f.steps:
        out.append('<ul class="steps">')
        for step in f.steps:
            mark = MARK.get(step.status or "", "·")
            text = f"{mark} {kind_text(step.kind, t.lang)} {step.id}" + (
                f": {words(step.expression, t.lang)}" if step.expression else "")
            out.append(f"<li><code>{esc(text)}</code>"
                       + (_inputs(t.inputs(step), t.lang) if step.inputs else "") + "</li>")
        out.append("</ul>")
    if f.citation is not None and f.citation.text:
        out.append(_citation(f.citation, t.lang))
    if f.location:
        out.append(f'<p class="loc">{t("report.html.rule-at", location=f"<code>{esc(f.location)}</code>")}</p>')
    out.append("</li>")
    return out


def _node(node: TraceNode, opened: set[int], t: "_Words | None" = None) -> list[str]:
    t = t or _Words("en")
    status = node.status or ""
    cls = f"node k-{_slug(node.kind)}"
    if status == "false" and node.kind in ("condition", "validity"):
        cls += " n-fail"
    elif status == "undetermined":
        cls += " n-open"
    mark = MARK.get(status, "")
    mark_html = f'<span class="mark {_MARK_CLASS[status]}">{mark}</span>' if mark else '<span class="mark"></span>'
    summary = [mark_html, f'<span class="kind">{esc(kind_text(node.kind, t.lang))}</span>']
    if shows_id(node):
        summary.append(f'<span class="id">{esc(node.id)}</span>')
    if node.label is not None:
        summary.append(f'<span class="label">{t.label_html(node.label)}</span>')
    if node.expression:
        summary.append(f"<code>{esc(words(node.expression, t.lang))}</code>")
    result = result_text(node, t.lang)
    if result is not None:
        summary.append(f'<span class="arrow">→</span> <span class="result">{esc(result)}</span>')
    elif status and node.kind not in ("condition", "validity", "row"):
        summary.append(f'<span class="arrow">→</span> <span class="result">{esc(status_text(status, t.lang))}</span>')
    is_open = " open" if id(node) in opened else ""
    out = [f'<li class="{cls}"><details{is_open}><summary>{" ".join(summary)}</summary>', '<div class="body">']
    if node.inputs:
        out.append(_inputs(t.inputs(node), t.lang))
    for note in node.notes:
        out.append(f'<p class="note">{esc(words(note, t.lang))}</p>')
    if node.citation is not None and node.citation.text:
        out.append(_citation(node.citation, t.lang))
    if node.location is not None:
        out.append(f'<p class="loc">{t("report.html.rule-at", location=f"<code>{esc(node.location)}</code>")}</p>')
    out.append("</div>")
    if node.children:
        out.append("<ul>")
        for child in node.children:
            out.extend(_node(child, opened, t))
        out.append("</ul>")
    out.append("</details></li>")
    return out
