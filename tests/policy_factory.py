"""Build small policies on disk for engine tests: a manifest plus rule files given as text."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ordinance import load_policy

MANIFEST = """\
policy: {id}
title: {{zh: 測試政策, en: test policy}}
issuer: {{zh: 測試, en: test}}
issued: 2025-01-01
valid: {{from: 2025-01-01, until: 2027-12-31}}
facts:
  applicant.kind:
    type: enum
    values: [enterprise, university]
  applicant.annual_revenue: {{type: money}}
{extra}"""


def write_policy(root: Path, rules: dict[str, str], *, id: str = "test-policy", extra: str = "") -> Path:
    """Write ``policy.yaml`` and ``rules/<name>.yaml`` under ``root``; return the directory."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "policy.yaml").write_text(MANIFEST.format(id=id, extra=textwrap.dedent(extra)), encoding="utf-8")
    (root / "rules").mkdir(exist_ok=True)
    for name, text in rules.items():
        (root / "rules" / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def make_policy(root: Path, rules: dict[str, str], **kwargs):
    return load_policy(write_policy(root, rules, **kwargs))
