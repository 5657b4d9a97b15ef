"""Every number of the source text that sets a rate, cap, threshold, count, duration or date is
quoted by a rule file (or the manifest) and written, as a value, in that same file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

POLICY = Path(__file__).resolve().parent.parent / "policy" / "xiamen-ai-2025"
SOURCE = (POLICY / "source.txt").read_text(encoding="utf-8")
FILES = [POLICY / "policy.yaml"] + sorted((POLICY / "rules").glob("*.yaml"))

#: a number with what it counts: 30% | 1000萬元 | 10億元 | 3年 | 10個 | 2027年12月31日
NUMBER = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日|(\d+(?:\.\d+)?)(%|萬元|億元|年|個)")


def _quotes(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "quote":
                yield from ([value] if isinstance(value, str) else value)
            else:
                yield from _quotes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _quotes(item)


def _covering_files():
    """For each source span quoted somewhere: (start, end, file text)."""
    spans = []
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        for quote in _quotes(yaml.safe_load(text)):
            start = SOURCE.find(quote.strip())
            assert start >= 0, f"{path.name}: quote not in source: {quote}"
            spans.append((start, start + len(quote.strip()), text))
    return spans


def _written_as(match: re.Match) -> list[str]:
    """How the number may appear as a value in a rule file."""
    if match.group(1):
        y, m, d = (int(g) for g in match.group(1, 2, 3))
        return [f"{y:04d}-{m:02d}-{d:02d}"]
    n, unit = match.group(4), match.group(5)
    return {"%": [f"{n}%"], "萬元": [f"{n}萬"], "億元": [f"{n}億"], "年": [f"{n} years", f"{n}年"],
            "個": [f"count: {n}"]}[unit]


# the covering notice's meeting number is no rule; everything else from the notice date on is
NUMBERS = [m for m in NUMBER.finditer(SOURCE) if not SOURCE[:m.start()].endswith("第")]
SPANS = _covering_files()


@pytest.mark.parametrize("match", NUMBERS, ids=[f"line{SOURCE.count(chr(10), 0, m.start()) + 1}:{m.group(0)}"
                                                for m in NUMBERS])
def test_number_is_quoted_and_encoded(match):
    covering = [text for start, end, text in SPANS if start <= match.start() and match.end() <= end]
    assert covering, f"no rule file quotes the sentence holding {match.group(0)}"
    forms = _written_as(match)
    assert any(form in text for text in covering for form in forms), \
        f"{match.group(0)} is quoted but not written as {' or '.join(forms)} in the quoting file"


def test_every_article_is_encoded():
    articles = set(re.findall(r"^\(([一二三四五六七八九十]+)\)", SOURCE, re.M))
    assert len(articles) == 15
    encoded = {yaml.safe_load(p.read_text(encoding="utf-8"))["article"] for p in FILES[1:]}
    numerals = {a.split("(")[1].rstrip(")") for a in encoded}
    assert numerals == articles
