"""The HTML rendering: one self-contained, printable audit report of a decision.

One file, nothing to fetch: the CSS is inline, there is no script, no external font, image, link or
URL of any kind, so the report opens the same offline, in an archive, or years later.  It holds the
policy's id and digest, the date of evaluation, the facts of the case (collected from the ``facts``
steps of the claims' traces), a summary of the claims, and for each claim its result, reasons,
missing facts, notes, what kept it from its benefit (:func:`ordinance.render.explain.why_not`) and
its derivation as a collapsible tree (``<details>``): the steps that refused a claim or left it open
are expanded, the others can be opened; printing expands everything.

Every string is escaped: rule text and case data are untrusted.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict

from ..decision import ClaimResult, Decision
from ..front.model import Citation
from ..trace import TraceNode
from .explain import Finding, why_not
from .format import show, show_amount
from .text import MARK, amount_text, basis_text, input_items, result_text, shows_id

_BENEFIT_WORDS = {"money": "money (獎補金額)", "assessed": "assessed award (核定), up to a ceiling",
                  "in-kind": "in kind (非金錢)", "support": "support without a computed amount (支持)"}
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


def render_decision(decision: Decision, *, colour: bool = False, lang: str = "en") -> str:
    """The decision as one HTML document (``colour`` is accepted for the common signature; the
    report is always in colour, and prints in colour)."""
    anchors = {id(r): f"claim-{i + 1}-{_slug(r.claim)}" for i, r in enumerate(decision.results)}
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="zh-Hant">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(f'Decision on case {decision.case} — {decision.policy_id}')}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>Decision on case <code>{esc(decision.case)}</code></h1>",
        '<p class="subtitle">審核報告 · audit report: every step of the derivation, cited to the source text</p>',
        '<table class="meta">',
        f"<tr><th>Policy</th><td><code>{esc(decision.policy_id)}</code></td></tr>",
        f'<tr><th>Policy digest (sha256)</th><td><code class="digest">{esc(decision.policy_digest)}</code></td></tr>',
    ]
    if len(decision.policies) > 1:
        loaded = "<br>".join(f"<code>{esc(p.get('id', ''))}</code> sha256 <code class=\"digest\">"
                             f"{esc(p.get('digest', ''))}</code>" for p in decision.policies)
        out.append(f"<tr><th>Policies loaded</th><td>{loaded}</td></tr>")
    as_of = (esc(decision.as_of.isoformat()) if decision.as_of is not None
             else "not given (each claim is decided as of its own date)")
    out.append(f"<tr><th>Date of evaluation</th><td>{as_of}</td></tr>")
    out.append(f'<tr><th>Total due</th><td class="money">{esc(show_amount(decision.total))}</td></tr>')
    still = decision.open_words()
    if still is not None:
        out.append(f'<tr><th>Still open</th><td class="money">{esc(still)}</td></tr>')
    out.append("</table>")
    out.append("</header>")
    out.extend(_summary_table(decision, anchors))
    out.extend(_facts_table(decision, anchors))
    for r in decision.results:
        out.extend(_claim(r, anchors[id(r)]))
    out.append('<footer>Rendered by <span class="mono">ordinance</span> from the decision and its trace '
               "alone. Marks: ✓ holds, ✗ does not hold, ? cannot be told (facts missing). "
               "Rule locations are <span class=\"mono\">file:line:column</span> in the policy's rule files; "
               "source lines are lines of the policy's source text.</footer>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def _status(status: str) -> str:
    return f'<span class="badge status-{_slug(status)}">{esc(status)}</span>'


def _summary_table(decision: Decision, anchors: dict[int, str]) -> list[str]:
    out = ["<section class=\"summary\">", "<h2>Claims</h2>", "<table>",
           "<thead><tr><th>claim</th><th>measure</th><th>status</th><th>amount</th><th>basis</th></tr></thead>",
           "<tbody>"]
    for r in decision.results:
        title = esc(r.trace.label) if r.trace is not None and r.trace.label is not None else ""
        out.append(f'<tr><td><a href="#{anchors[id(r)]}"><code>{esc(r.claim)}</code></a></td>'
                   f"<td><code>{esc(r.measure)}</code><br>{title}</td><td>{_status(r.status)}</td>"
                   f'<td class="amount">{esc(amount_text(r))}</td><td class="basis">{esc(basis_text(r))}</td></tr>')
    out += ["</tbody>", "</table>", "</section>"]
    return out


def _facts_table(decision: Decision, anchors: dict[int, str]) -> list[str]:
    """The facts stated in the case, from the ``facts`` steps of the claims' traces."""
    stated: dict[str, dict[str, list[ClaimResult]]] = defaultdict(lambda: defaultdict(list))
    traced = [r for r in decision.results if r.trace is not None]
    for r in traced:
        facts = r.trace.find("facts") if r.trace is not None else None
        if facts is None:
            continue
        for name, value in facts.inputs.items():
            stated[name][show(value, facts.types.get(name))].append(r)
    out = ['<section class="facts">', "<h2>Facts of the case</h2>"]
    if not stated:
        out.append("<p>The decision was made without a trace: the facts were not recorded.</p>")
        out.append("</section>")
        return out
    out += ["<table>", "<thead><tr><th>fact</th><th>value</th><th>stated for</th></tr></thead>", "<tbody>"]
    for name in sorted(stated):
        for value, claims in stated[name].items():
            if len(claims) == len(traced) and len(traced) > 1:
                who = "all claims"
            else:
                who = ", ".join(f'<a href="#{anchors[id(c)]}"><code>{esc(c.claim)}</code></a>' for c in claims)
            out.append(f"<tr><td><code>{esc(name)}</code></td><td>{esc(value)}</td><td>{who}</td></tr>")
    out += ["</tbody>", "</table>", "</section>"]
    return out


def _claim(r: ClaimResult, anchor: str) -> list[str]:
    findings = why_not(r)
    out = [f'<section class="claim s-{_slug(r.status)}" id="{anchor}">',
           f'<div class="claim-head"><h2>Claim <code>{esc(r.claim)}</code> · <code>{esc(r.measure)}</code></h2>'
           f"{_status(r.status)}</div>"]
    if r.trace is not None and r.trace.label is not None:
        out.append(f'<p class="title">{esc(r.trace.label)}</p>')
    rows = [("Status", _status(r.status))]
    if r.policy:
        rows.append(("Policy", f"<code>{esc(r.policy)}</code>"))
    rows += [("Benefit", esc(_BENEFIT_WORDS.get(r.benefit, r.benefit)))]
    if r.benefit == "money":
        rows.append(("Amount", esc(show_amount(r.amount))))
    if r.ceiling is not None:
        rows.append(("Ceiling", esc(show_amount(r.ceiling))))
    if r.duration is not None:
        rows.append(("Duration", esc(r.duration)))
    rows.append(("Basis", esc(basis_text(r))))
    if r.superseded_by:
        rows.append(("Superseded by", f"<code>{esc(r.superseded_by)}</code>"))
    if r.project:
        rows.append(("Project", f"<code>{esc(r.project)}</code>"))
    if r.date is not None:
        rows.append(("Claim date", esc(r.date.isoformat())))
    if r.quota is not None:
        q = r.trace.find("quota") if r.trace is not None else None
        rank_type = q.types.get("rank value") if q is not None else None
        quota = ", ".join(f"{k} = {show(v, rank_type if k == 'rank_value' else None)}" for k, v in r.quota.items())
        rows.append(("Quota", esc(quota)))
    if r.trace is not None and r.trace.location is not None:
        rows.append(("Rule", f"<code>{esc(r.trace.location)}</code>"))
    out.append('<table class="meta">')
    out += [f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows]
    out.append("</table>")
    if r.trace is not None and r.trace.citation is not None and r.trace.citation.text:
        out.append(_citation(r.trace.citation))
    if r.trace is not None:
        out += [f'<p class="note">{esc(note)}</p>' for note in r.trace.notes]
    if r.reasons:
        out += ["<h3>Reasons</h3>", '<ul class="reasons">']
        out += [f"<li>{esc(x['en'])} <span lang=\"zh-Hant\">（{esc(x['zh'])}）</span> "
                f"<code>{esc(x['code'])}</code></li>" for x in r.reasons]
        out.append("</ul>")
    if r.missing:
        out += ["<h3>Facts needed</h3>", '<ul class="missing">']
        out += [f"<li><code>{esc(m)}</code></li>" for m in r.missing]
        out.append("</ul>")
    if r.notes:
        out += ["<h3>Notes</h3>", '<ul class="notes">']
        out += [f"<li>{esc(n)}</li>" for n in r.notes]
        out.append("</ul>")
    if findings:
        out += ["<h3>Why not: what would have to change</h3>", '<ol class="whynot">']
        for f in findings:
            out.extend(_finding(f))
        out.append("</ol>")
    out.append("<h3>Derivation</h3>")
    if r.trace is None:
        out.append("<p>The decision was made without a trace: the derivation was not recorded.</p>")
    else:
        opened = _to_open(r.trace, findings)
        out.append('<ul class="tree">')
        for child in r.trace.children:
            out.extend(_node(child, opened))
        out.append("</ul>")
    out.append("</section>")
    return out


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


def _citation(c: Citation) -> str:
    line = f' <span class="srcline">(source line {c.source_line})</span>' if c.source_line else ""
    return (f'<blockquote class="cite"><span class="article">{esc(c.article)}</span>'
            f"「{esc(c.text)}」{line}</blockquote>")


def _inputs(items: list[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th><code>{esc(k)}</code></th><td>{esc(v)}</td></tr>" for k, v in items)
    return f'<table class="inputs">{rows}</table>'


def _finding(f: Finding) -> list[str]:
    out = ["<li>", f'<div class="finding-title">{esc(f.title)}</div>']
    if f.expression:
        out.append(f"<div><code>{esc(f.expression)}</code></div>")
    if f.inputs:
        out.append(_inputs(f.inputs))
    if f.change:
        out.append('<ul class="change">' + "".join(f"<li>{esc(s)}</li>" for s in f.change) + "</ul>")
    if f.steps:
        out.append('<ul class="steps">')
        for step in f.steps:
            mark = MARK.get(step.status or "", "·")
            text = f"{mark} {step.kind} {step.id}" + (f": {step.expression}" if step.expression else "")
            out.append(f"<li><code>{esc(text)}</code>"
                       + (_inputs(input_items(step)) if step.inputs else "") + "</li>")
        out.append("</ul>")
    if f.citation is not None and f.citation.text:
        out.append(_citation(f.citation))
    if f.location:
        out.append(f'<p class="loc">rule <code>{esc(f.location)}</code></p>')
    out.append("</li>")
    return out


def _node(node: TraceNode, opened: set[int]) -> list[str]:
    status = node.status or ""
    cls = f"node k-{_slug(node.kind)}"
    if status == "false" and node.kind in ("condition", "validity"):
        cls += " n-fail"
    elif status == "undetermined":
        cls += " n-open"
    mark = MARK.get(status, "")
    mark_html = f'<span class="mark {_MARK_CLASS[status]}">{mark}</span>' if mark else '<span class="mark"></span>'
    summary = [mark_html, f'<span class="kind">{esc(node.kind)}</span>']
    if shows_id(node):
        summary.append(f'<span class="id">{esc(node.id)}</span>')
    if node.label is not None:
        summary.append(f'<span class="label">{esc(node.label)}</span>')
    if node.expression:
        summary.append(f"<code>{esc(node.expression)}</code>")
    result = result_text(node)
    if result is not None:
        summary.append(f'<span class="arrow">→</span> <span class="result">{esc(result)}</span>')
    elif status and node.kind not in ("condition", "validity", "row"):
        summary.append(f'<span class="arrow">→</span> <span class="result">{esc(status)}</span>')
    is_open = " open" if id(node) in opened else ""
    out = [f'<li class="{cls}"><details{is_open}><summary>{" ".join(summary)}</summary>', '<div class="body">']
    if node.inputs:
        out.append(_inputs(input_items(node)))
    for note in node.notes:
        out.append(f'<p class="note">{esc(note)}</p>')
    if node.citation is not None and node.citation.text:
        out.append(_citation(node.citation))
    if node.location is not None:
        out.append(f'<p class="loc">rule <code>{esc(node.location)}</code></p>')
    out.append("</div>")
    if node.children:
        out.append("<ul>")
        for child in node.children:
            out.extend(_node(child, opened))
        out.append("</ul>")
    out.append("</details></li>")
    return out
