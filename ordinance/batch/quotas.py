"""Annual quotas across a batch: rank the contenders, then patch the written output.

A quota (``quota: {count: 10, per: year}``) ranks claims of *different* cases, which one case
alone cannot do.  While the batch runs, the summary keeps only a small
:class:`~ordinance.batch.summary.Contender` per
quota-bound eligible claim (its rank value, case, claim, the output line or CSV row holding it,
its amount); after the last case :func:`rank` ranks each quota's contenders with the engine's own
ranking (:func:`ordinance.rules.quotas.rank_quota`, the key and ties of
``Policy.evaluate_many``) and :func:`rewrite` streams the output into a temporary file, patching
those claims exactly as :func:`ordinance.rules.quotas.apply_quotas` leaves a decision (status,
amount, reasons, notes, the case's total, the trace), then replaces the output atomically.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from .. import values as V
from ..decision import to_json
from ..rules.quotas import QuotaPlace, quota_open_note, quota_waits, rank_quota
from ..rules.pending import DEPENDS, bounds_node, depends_node, depends_reason
from ..messages import Text
from ..trace import json_value
from .options import EXACT
from .records import CSV_COLUMNS
from .summary import Summary, add_open

if TYPE_CHECKING:  # pragma: no cover
    from ..policy import Policy


class Patch(NamedTuple):
    claim: str
    place: QuotaPlace
    amount: Decimal | None
    counted: bool
    case_total: Decimal
    #: within the quota unless undetermined claims rank ahead: the claims it waits on (as
    #: ``quota_waits`` names them), the facts they wait on, how many they are; else None
    open: tuple[list[str], dict[str, list[str]], int] | None = None

    @property
    def within(self) -> bool:
        return self.place.within

    @property
    def position(self) -> int:
        return self.place.position


def rank(summary: Summary, policy: Policy) -> dict[int, list[Patch]]:
    """Rank each quota's contenders with the engine's own ranking; the patches by output line/row."""
    patches: dict[int, list[Patch]] = defaultdict(list)
    for (measure, year), members in sorted(summary.pools.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        quota = policy.find_measure(measure).measure.quota
        exceeded = opened = 0
        waits = summary.waiting.get((measure, year), []) + summary.waiting.get((measure, None), [])
        # taken = 0: a batch has no awards from earlier rounds (evaluate_many's `awarded`)
        for c, place in rank_quota(members, quota, year, 0, lambda c: (c.rank, c.case, c.claim)):
            pushed = None
            if place.within and place.position + len(waits) > place.count:  # as apply_quotas
                pushed = (*quota_waits(waits, c.case), len(waits))
                opened += 1
                summary.statuses["eligible"] -= 1
                summary.statuses["undetermined"] += 1
                if c.counted and c.amount is not None:
                    summary.totals[(measure, year)] = EXACT.subtract(summary.totals[(measure, year)], c.amount)
                    summary.open[(measure, year)] = add_open(summary.open.get((measure, year)),
                                                             (1, Decimal(0), c.amount))
            patches[c.where].append(Patch(c.claim, place, c.amount, c.counted, c.case_total, pushed))
            if not place.within:
                exceeded += 1
                summary.statuses["eligible"] -= 1
                summary.statuses["ineligible"] += 1
                if c.counted and c.amount is not None:
                    summary.totals[(measure, year)] = EXACT.subtract(summary.totals[(measure, year)], c.amount)
        summary.quotas.append((measure, year, len(members), len(members) - exceeded - opened, exceeded, opened))
    return patches


#: The keys of TraceNode.to_dict(), in order: a key set anew goes to its place among them.
_TRACE_KEYS = ("kind", "id", "label", "location", "citation", "expression", "inputs", "input_names_zh", "types",
               "status", "result", "notes", "notes_zh", "children")


def set_trace(node: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """``node`` with ``key`` set (removed for None, as to_dict leaves it out), keeping the key order."""
    if value is None:
        node.pop(key, None)
        return node
    if key in node:
        node[key] = value
        return node
    after = set(_TRACE_KEYS[_TRACE_KEYS.index(key) + 1:])
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k in after and key not in out:
            out[key] = value
        out[k] = v
    out.setdefault(key, value)
    return out


def _find_kind(node: dict[str, Any], kind: str) -> dict[str, Any] | None:
    if node.get("kind") == kind:
        return node
    for child in node.get("children", ()):
        found = _find_kind(child, kind)
        if found is not None:
            return found
    return None


def _patch_result(r: dict[str, Any], p: Patch) -> dict[str, Any]:
    """One claim of a decision's JSON, as ``apply_quotas`` leaves the ClaimResult."""
    note = p.place.note()
    status = "awarded" if p.within and p.open is None else "exceeded" if not p.within else "open"
    quota = dict(r.get("quota") or {})
    quota.update(status=status, position=p.position, contenders=p.place.contenders, already_awarded=p.place.taken)
    r["quota"] = quota
    _add_note(r, note, drop=lambda n: n.startswith("subject to the quota"))
    amount = p.amount
    if not p.within:
        r["status"] = "ineligible"
        amount = Decimal(0)
        r["amount"] = V.money_string(amount)
        r["reasons"] = list(r["reasons"]) + [p.place.exceeded_reason()]
    trace = r.get("trace")
    if trace is not None:
        q = _find_kind(trace, "quota")
        if q is not None:
            q["result"] = status
            _add_note(q, note)
        trace = set_trace(trace, "status", r["status"])
        r["trace"] = set_trace(trace, "result", json_value(amount))
    if p.open is not None:  # left open, as span.open_on leaves the ClaimResult
        depends, waiting, count = p.open
        most = Decimal(r["ceiling"] if r.get("benefit") == "assessed" else r["amount"])
        r["status"] = "undetermined"
        r["amount"] = None
        r.pop("ceiling", None)
        r["reasons"] = list(r["reasons"]) + [depends_reason(depends, waiting)]
        bounds = {"at_least": V.money_string(Decimal(0)), "at_most": V.money_string(most), "depends_on": depends}
        r = _with_key(r, "bounds", bounds, after="missing")
        trace = r.get("trace")
        if trace is not None:
            trace["children"] = list(trace.get("children", [])) + [
                depends_node("quota", depends, quota_open_note(count)).to_dict(),
                bounds_node(Decimal(0), most, depends).to_dict()]
            trace = set_trace(trace, "status", "undetermined")
            r["trace"] = set_trace(trace, "result", None)
    return r


def _add_note(holder: dict[str, Any], note: Text, drop: Callable[[str], bool] = lambda n: False) -> None:
    """``note`` added to the ``notes`` of a claim or a step as JSON, and its Chinese to ``notes_zh``
    (as ``to_dict`` writes them: one for one), the notes ``drop`` picks (by their English) taken out."""
    en = list(holder.get("notes", []))
    zh = list(holder.get("notes_zh", en))
    keep = [i for i, n in enumerate(en) if not drop(n)]
    holder["notes"] = [en[i] for i in keep] + [note]
    holder["notes_zh"] = [zh[i] for i in keep] + [note.in_lang("zh")]


def _with_key(data: dict[str, Any], key: str, value: Any, after: str) -> dict[str, Any]:
    """``data`` with ``key`` set just after the key ``after`` (the order ``to_dict`` writes)."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        if k != key:
            out[k] = v
        if k == after:
            out[key] = value
    return out


def _open_of(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    """``Decision.open`` of a decision's JSON results."""
    claims, least, most = [], Decimal(0), Decimal(0)
    for r in results:
        if r["status"] == "undetermined" and r.get("benefit") == "money":
            claims.append(r["claim"])
            bounds = r.get("bounds")
            if bounds is not None:
                least += Decimal(bounds["at_least"])
            most = most + Decimal(bounds["at_most"]) if bounds and most is not None and bounds["at_most"] is not None \
                else None
    if not claims:
        return None
    return {"claims": claims, "at_least": V.money_string(least),
            "at_most": V.money_string(most) if most is not None else None}


def patch_json_line(line: bytes, patches: list[Patch]) -> bytes:
    data = json.loads(line)
    by_claim = {p.claim: p for p in patches}
    total = patches[0].case_total
    results = data["results"]
    for i, r in enumerate(results):
        p = by_claim.get(r["claim"])
        if p is not None:
            results[i] = _patch_result(r, p)
            if (not p.within or p.open is not None) and p.counted and p.amount is not None:
                total -= p.amount
    data["total"] = V.money_string(total)
    data.pop("open", None)
    still = _open_of(results)
    if still is not None:
        data["open"] = still
    return to_json(data, indent=None).encode("utf-8")


def patch_csv_row(row: list[str], p: Patch) -> list[str]:
    row = list(row)
    row[CSV_COLUMNS.index("quota")] = "awarded" if p.within and p.open is None else "exceeded" if not p.within \
        else "open"
    row[CSV_COLUMNS.index("quota_position")] = str(p.position)
    if p.open is not None:
        row[CSV_COLUMNS.index("status")] = "undetermined"
        row[CSV_COLUMNS.index("amount")] = ""
        reasons = row[CSV_COLUMNS.index("reasons")]
        row[CSV_COLUMNS.index("reasons")] = f"{reasons};{DEPENDS}" if reasons else DEPENDS
    if not p.within:
        row[CSV_COLUMNS.index("status")] = "ineligible"
        row[CSV_COLUMNS.index("amount")] = V.money_string(Decimal(0))
        reasons = row[CSV_COLUMNS.index("reasons")]
        row[CSV_COLUMNS.index("reasons")] = f"{reasons};quota-exceeded" if reasons else "quota-exceeded"
    return row


def rewrite(out: Path, patches: dict[int, list[Patch]], fmt: str, before_replace=None) -> None:
    """Pass two: stream ``out`` into a temporary file, patching the ranked claims; replace ``out``.

    ``before_replace(path)`` is told the new output's path just before it replaces the old."""
    out = Path(os.path.realpath(out))  # replace the file a symbolic link names, never the link
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        if fmt == "jsonl":
            with open(out, "rb") as src, os.fdopen(fd, "wb") as dst:
                for i, line in enumerate(src):
                    p = patches.get(i)
                    dst.write(patch_json_line(line, p) if p else line)
        else:
            with open(out, encoding="utf-8", newline="") as src, os.fdopen(fd, "w", encoding="utf-8",
                                                                         newline="") as dst:
                reader = csv.reader(src)
                writer = csv.writer(dst, lineterminator="\n")
                writer.writerow(next(reader))
                for i, row in enumerate(reader):
                    p = patches.get(i)
                    writer.writerow(patch_csv_row(row, p[0]) if p else row)
        shutil.copymode(out, tmp)
        if before_replace is not None:
            before_replace(Path(tmp))
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
