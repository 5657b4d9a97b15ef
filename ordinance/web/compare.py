"""What changed between two decisions of one case, step by step (``POST /v1/compare``).

Typically the same case decided under two versions of a policy.  :func:`compare_decisions`
returns plain data, in a deterministic order:

- the total, when it differs (``claim`` is ``None``);
- per claim (in the left decision's order, then claims only the right one has): a claim on one
  side only (``added`` / ``removed``); else each field of the result that differs (``status``,
  ``amount``, ``basis``, ``benefit``, ``ceiling``, ``duration``, ``reasons``, ``missing``,
  ``notes``, ``quota``, ``superseded_by``), with ``path`` empty and ``field`` naming it;
- then the derivation: trace steps are matched by their path from the claim's root, each step
  named by its ``kind`` and ``id`` (``table`` ``tier``, then ``row`` ``tier[3]``; siblings of the
  same kind and id by their ``occurrence``, 2, 3, ...).  A step on one side only is ``added`` /
  ``removed`` (its subtree is not listed again);
  a step on both sides is ``changed`` for each of ``label``, ``expression``, ``inputs``,
  ``result``, ``status``, ``notes``, ``citation`` that differs.  Rule locations are not
  compared: a rule that moved in its file but decides the same is no change.

Each change is ``{"claim", "path", "field", "kind", "left", "right"}``: ``path`` the steps from
the claim's root (exclusive) to the step, each ``{"kind", "id", "label"}`` (``label``:
``{"zh", "en"}`` or ``None``; ``"occurrence": n`` added for the n-th sibling of the same kind and
id, n > 1), ``left``/``right`` the JSON values (``None`` on the side that lacks it; for a step
added or removed, its summary: kind, id, label, expression, status, result).  A change of
``notes`` also has ``left_zh``/``right_zh``: the same notes in Chinese, as a decision's
``notes_zh`` gives them.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..decision import ClaimResult, Decision
from ..trace import TraceNode, json_value, notes_in_chinese
from ..values import money_string

#: the fields of a claim's result compared, in this order
CLAIM_FIELDS = ("status", "amount", "basis", "benefit", "ceiling", "duration", "reasons", "missing", "notes",
                "quota", "superseded_by")
#: the fields of a trace step compared, in this order
STEP_FIELDS = ("label", "expression", "inputs", "result", "status", "notes", "citation")


def compare_decisions(left: Decision, right: Decision) -> list[dict[str, Any]]:
    """Every difference between ``left`` and ``right`` (empty: they decide the same, step by step)."""
    changes: list[dict[str, Any]] = []
    if left.total != right.total:
        changes.append(_change(None, [], "total", "changed", money_string(left.total), money_string(right.total)))
    right_by_id = {r.claim: r for r in right.results}
    left_ids = {r.claim for r in left.results}
    for lr in left.results:
        rr = right_by_id.get(lr.claim)
        if rr is None:
            changes.append(_change(lr.claim, [], None, "removed", _claim_summary(lr), None))
        else:
            changes.extend(compare_claims(lr, rr))
    for rr in right.results:
        if rr.claim not in left_ids:
            changes.append(_change(rr.claim, [], None, "added", None, _claim_summary(rr)))
    return changes


def compare_claims(left: ClaimResult, right: ClaimResult) -> list[dict[str, Any]]:
    """The differences between two results of one claim: its fields, then its derivation."""
    claim = left.claim
    out = []
    lf, rf = _claim_fields(left), _claim_fields(right)
    for name in CLAIM_FIELDS:
        if lf[name] != rf[name]:
            out.append(_change(claim, [], name, "changed", lf[name], rf[name]))
    if left.trace is not None and right.trace is not None:
        out.extend(_compare_children(claim, [], left.trace, right.trace))
    return out


def _claim_fields(r: ClaimResult) -> dict[str, Any]:
    return {
        "status": r.status,
        "amount": money_string(r.amount) if r.amount is not None else None,
        "basis": r.basis,
        "benefit": r.benefit,
        "ceiling": money_string(r.ceiling) if r.ceiling is not None else None,
        "duration": str(r.duration) if r.duration is not None else None,
        "reasons": json_value([dict(x) for x in r.reasons]),
        "missing": list(r.missing),
        "notes": list(r.notes),
        "quota": json_value(r.quota) if r.quota is not None else None,
        "superseded_by": r.superseded_by,
    }


def _claim_summary(r: ClaimResult) -> dict[str, Any]:
    f = _claim_fields(r)
    return {"measure": r.measure, "status": f["status"], "amount": f["amount"]}


def _named_children(node: TraceNode) -> Iterator[tuple[tuple[str, str, int], TraceNode]]:
    """The children of ``node``, each with a key unique among them: (kind, id, occurrence)."""
    seen: dict[tuple[str, str], int] = {}
    for child in node.children:
        base = (child.kind, child.id)
        seen[base] = seen.get(base, 0) + 1
        yield (child.kind, child.id, seen[base]), child


def _path_step(key: tuple[str, str, int], node: TraceNode) -> dict[str, Any]:
    step: dict[str, Any] = {"kind": key[0], "id": key[1], "label": _label(node)}
    if key[2] > 1:
        step["occurrence"] = key[2]
    return step


def _step_fields(node: TraceNode) -> dict[str, Any]:
    return {
        "label": node.label.to_dict() if node.label is not None else None,
        "expression": node.expression,
        "inputs": {k: json_value(v) for k, v in node.inputs.items()} if node.inputs else None,
        "result": json_value(node.result),
        "status": node.status,
        "notes": list(node.notes) if node.notes else None,
        "citation": node.citation.to_dict() if node.citation is not None else None,
    }


def _step_summary(node: TraceNode) -> dict[str, Any]:
    f = _step_fields(node)
    return {"kind": node.kind, "id": node.id, "label": f["label"], "expression": f["expression"],
            "status": f["status"], "result": f["result"]}


def _compare_children(claim: str, path: list[dict[str, Any]], left: TraceNode, right: TraceNode
                      ) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    right_children = dict(_named_children(right))
    left_keys = set()
    for key, lc in _named_children(left):
        left_keys.add(key)
        rc = right_children.get(key)
        if rc is None:
            out.append(_change(claim, path + [_path_step(key, lc)], None, "removed", _step_summary(lc), None))
            continue
        here = path + [_path_step(key, rc)]
        lf, rf = _step_fields(lc), _step_fields(rc)
        for field in STEP_FIELDS:
            if lf[field] != rf[field]:
                out.append(_change(claim, here, field, "changed", lf[field], rf[field]))
        out.extend(_compare_children(claim, here, lc, rc))
    for key, rc in right_children.items():
        if key not in left_keys:
            out.append(_change(claim, path + [_path_step(key, rc)], None, "added", None, _step_summary(rc)))
    return out


def _label(node: TraceNode) -> dict[str, str] | None:
    return node.label.to_dict() if node.label is not None else None


def _change(claim: str | None, path: list[dict[str, Any]], field: str | None, kind: str, left: Any, right: Any
            ) -> dict[str, Any]:
    change = {"claim": claim, "path": path, "field": field, "kind": kind, "left": left, "right": right}
    if field == "notes":  # the notes' Chinese beside them, as a decision gives them (notes_zh)
        change["left_zh"] = notes_in_chinese(left) if left is not None else None
        change["right_zh"] = notes_in_chinese(right) if right is not None else None
    return change
