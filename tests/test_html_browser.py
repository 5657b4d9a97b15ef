"""The HTML report in a real browser (headless Chromium), and its self-containment.

The browser tests need ``/usr/bin/chromium`` and are skipped, with that reason, only when it is
absent.  The screenshot is decoded here with ``zlib`` and ``struct`` (no image library): it must
have the window's size, not be blank, show the status colours of the inline CSS, and show Chinese
as characters rather than as "tofu" boxes.  Printing to PDF must expand the collapsed derivation.
"""

from __future__ import annotations

import datetime as _dt
import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

import ordinance
from ordinance.policy import bundled_policy_dir
from ordinance.render import html as html_render

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "render"
CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")

WIDTH, HEIGHT = 1280, 2000


@pytest.fixture(scope="module")
def report() -> str:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        policy = ordinance.load_policy(bundled_policy_dir())
        decision = policy.evaluate(ordinance.load_case("tests/golden/render/refusals.yaml", policy),
                                   as_of=_dt.date(2026, 1, 15))
    return html_render.render_decision(decision)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
               f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, timeout=180, check=False)


def _screenshot(tmp_path: Path, page: str, name: str, size: tuple[int, int] = (WIDTH, HEIGHT)) -> Path:
    html_file = tmp_path / f"{name}.html"
    html_file.write_text(page, encoding="utf-8")
    png = tmp_path / f"{name}.png"
    done = _chromium(tmp_path, f"--screenshot={png}", f"--window-size={size[0]},{size[1]}",
                     html_file.as_uri())
    assert png.exists(), f"chromium wrote no screenshot (exit {done.returncode}): {done.stderr[-2000:]!r}"
    return png


def read_png(path: Path, max_rows: int | None = None) -> tuple[int, int, list[bytes], int]:
    """Width, height, the first ``max_rows`` unfiltered rows (all by default) and bytes per pixel of
    an 8-bit RGB(A) PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    pos, idat = 8, b""
    width = height = depth = colour_type = interlace = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, (depth, colour_type, interlace)
    bpp = 4 if colour_type == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    i = 0
    for _ in range(height if max_rows is None else min(height, max_rows)):
        kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + b) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows, bpp


def _pixels(rows: list[bytes], bpp: int, top: int, bottom: int):
    for row in rows[top:bottom]:
        for x in range(0, len(row), bpp):
            yield row[x], row[x + 1], row[x + 2]


def _near(pixel, colour, tolerance=24) -> bool:
    return all(abs(p - c) <= tolerance for p, c in zip(pixel, colour))


@needs_chromium
def test_the_report_renders_in_chromium(tmp_path, report):
    png = _screenshot(tmp_path, report, "report")
    assert png.stat().st_size > 20_000
    width, height, rows, bpp = read_png(png, max_rows=1000)
    assert (width, height) == (WIDTH, HEIGHT)
    top = list(_pixels(rows, bpp, 0, 1000))
    white = sum(1 for p in top if p == (255, 255, 255))
    assert 0.30 < white / len(top) < 0.995, "the page is blank or a solid block"
    assert len(set(top)) > 50  # text, tables and badges, anti-aliased
    # the status badges of the summary table, in the inline CSS's colours
    assert any(_near(p, (0xCF, 0x22, 0x2E)) for p in top), "no ineligible red"
    assert any(_near(p, (0x1A, 0x7F, 0x37)) for p in top), "no eligible green"
    assert any(_near(p, (0xFF, 0xEB, 0xE9), 4) for p in top), "no ineligible badge background"


@needs_chromium
def test_chinese_renders_as_characters_not_boxes(tmp_path):
    """The report's font stack finds a CJK font: Chinese text differs from missing glyphs (tofu)."""
    def page(text: str) -> str:
        return (f'<!DOCTYPE html><html lang="zh-Hant"><head><meta charset="utf-8"><style>{html_render.CSS}'
                f"</style></head><body><h1>{text}</h1></body></html>")

    def ink(png: Path) -> list[bytes]:
        _, _, rows, _ = read_png(png)
        return rows

    chinese = ink(_screenshot(tmp_path, page("廈門政策有效期就高不重複"), "zh", (640, 200)))
    tofu = ink(_screenshot(tmp_path, page("\ue000" * 12), "tofu", (640, 200)))
    blank = ink(_screenshot(tmp_path, page(""), "blank", (640, 200)))
    assert chinese != blank, "the Chinese heading drew nothing"
    assert chinese != tofu, "Chinese is drawn as boxes: no CJK font"


@needs_chromium
def test_printing_expands_the_derivation(tmp_path, report):
    """@media print opens every <details>: the printed report is longer than with the rule removed."""
    def pages(page: str, name: str) -> int:
        html_file = tmp_path / f"{name}.html"
        html_file.write_text(page, encoding="utf-8")
        pdf = tmp_path / f"{name}.pdf"
        done = _chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html_file.as_uri())
        assert pdf.exists(), done.stderr[-2000:]
        return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))

    rule = "details::details-content { content-visibility: visible; display: block; }"
    assert rule in report
    expanded, collapsed = pages(report, "expanded"), pages(report.replace(rule, ""), "collapsed")
    assert collapsed >= 1
    assert expanded > collapsed


# -- self-containment (no browser needed) -------------------------------------------------------------

_NETWORK = [re.compile(p, re.I) for p in (r"https?:", r"//", r"<script", r"<link", r"@import", r"url\(",
                                           r"<img", r"<iframe", r"<object", r"<embed", r"\bsrc\s*=",
                                           r"@font-face", r"ftp:", r"data:")]


def _network_references(page: str) -> list[str]:
    found = [m.group(0) for p in _NETWORK for m in p.finditer(page)]
    found += [h for h in re.findall(r'href="([^"]*)"', page) if not h.startswith("#")]
    return found


def test_the_report_makes_no_network_reference(report):
    assert _network_references(report) == []
    for golden in sorted(GOLDEN.glob("*.html")):
        assert _network_references(golden.read_text(encoding="utf-8")) == [], golden.name


def test_the_check_finds_network_references():
    assert _network_references('<link rel="stylesheet" href="https://cdn.example/x.css">') != []
    assert _network_references("<style>body { background: url(x.png) }</style>") != []
    assert _network_references('<a href="#claim-1-c1">c1</a>') == []
