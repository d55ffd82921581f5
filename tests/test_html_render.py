"""Real HTML slips in a real browser: headless Chromium renders pages `cmrules run` wrote.

The pages come from the bar example month (``examples/bar_month.csv``), so what is
checked is what the engine and the renderer produce today, not a hand-made fixture.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import cmrules

ROOT = Path(__file__).resolve().parents[1]
BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"
WIDTH, HEIGHT = 900, 1300
ACCENT = (0x1F, 0x4E, 0x79)  # the net panel (--accent)
BACKGROUND = (0xE9, 0xED, 0xF1)  # around the sheet
# B001 of the example month: 52,000 counted: 3,000 + 3% × 12,000 − 50 for 10 minutes late
B001_NET = "3,310.00"

Pixels = list[bytes]  # rows of RGB(A) bytes


def _chromium() -> str:
    binary = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium): HTML slips not rendered")
    return binary


def _run(binary: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp_path / "profile"  # a fresh profile: nothing from an earlier browser run
    profile.mkdir(exist_ok=True)
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--user-data-dir={profile}",
        *args,
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    return subprocess.run(command, capture_output=True, timeout=120, env=env, check=False)


def _screenshot(binary: str, tmp_path: Path, page: Path) -> tuple[int, int, int, Pixels]:
    png = tmp_path / f"{page.stem}.png"
    result = _run(binary, tmp_path, f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}", page.as_uri())
    assert png.exists(), result.stderr.decode(errors="replace")[-2000:]
    return _decode_png(png.read_bytes())


def _decode_png(data: bytes) -> tuple[int, int, int, Pixels]:
    """Width, height, bytes per pixel and unfiltered rows of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6), (depth, color)
    bpp = 3 if color == 2 else 4
    raw, stride = zlib.decompress(b"".join(idat)), width * bpp
    rows: Pixels = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind_of_filter, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, up_left = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if kind_of_filter == 1:
                line[i] = (line[i] + left) & 255
            elif kind_of_filter == 2:
                line[i] = (line[i] + up) & 255
            elif kind_of_filter == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 255
            elif kind_of_filter == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def _pixel(rows: Pixels, bpp: int, x: int, y: int) -> tuple[int, int, int]:
    r, g, b = rows[y][x * bpp : x * bpp + 3]
    return r, g, b


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bar example month written by the real command, as a folder of HTML pages."""
    out = tmp_path_factory.mktemp("html") / "slips"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cmrules",
            "run",
            str(BAR),
            "examples/bar_month.csv",
            *("-o", str(out)),
            "--format",
            "html",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUTF8": "1"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.slow
def test_dom_of_a_real_slip_has_the_net_amount_and_labels(pages: Path, tmp_path: Path) -> None:
    binary = _chromium()
    result = _run(binary, tmp_path, "--dump-dom", (pages / "B001.html").as_uri())
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    dom = result.stdout.decode("utf-8")
    assert f'<span id="net">{B001_NET}</span>' in dom
    assert "底薪" in dom and "Base pay" in dom and "业绩提成" in dom
    assert "3% × (52,000.00 − 40,000.00) = 360.00" in dom  # the engine's own explanation
    assert cmrules.load_ruleset(BAR).latest.sha256 in dom


@pytest.mark.slow
def test_screenshot_shows_the_net_amount_in_the_net_panel(pages: Path, tmp_path: Path) -> None:
    """B001 rendered twice, the second time with the net amount hidden: the pixels that
    differ are the amount, and they sit inside the blue net panel, in light text."""
    binary = _chromium()
    page = pages / "B001.html"
    html = page.read_text(encoding="utf-8")
    assert html.count("</head>") == 1
    hidden = tmp_path / "B001-hidden.html"
    hidden.write_text(html.replace("</head>", "<style>#net { visibility: hidden; }</style></head>"), "utf-8")
    width, height, bpp, shown = _screenshot(binary, tmp_path, page)
    size, _, other_bpp, blank = _screenshot(binary, tmp_path, hidden)
    assert (width, height) == (size, HEIGHT) == (WIDTH, HEIGHT) and bpp == other_bpp
    differ = [
        (x, y)
        for y in range(height)
        if shown[y] != blank[y]
        for x in range(width)
        if shown[y][x * bpp : x * bpp + 3] != blank[y][x * bpp : x * bpp + 3]
    ]
    assert differ, "the net amount changed no pixel: it is not rendered"
    x0, x1 = min(x for x, _ in differ), max(x for x, _ in differ)
    y0, y1 = min(y for _, y in differ), max(y for _, y in differ)
    # one line of large text ("3,310.00" at 26px), right-aligned in the sheet
    assert 60 <= x1 - x0 <= 200 and 12 <= y1 - y0 <= 40, (x0, y0, x1, y1)
    assert x0 > width // 2
    # all around it, the panel's blue; inside it, light text on the blue
    around = [(x0 - 4, (y0 + y1) // 2), (x1 + 4, (y0 + y1) // 2), ((x0 + x1) // 2, y0 - 3)]
    around.append(((x0 + x1) // 2, y1 + 3))
    assert {_pixel(blank, bpp, x, y) for x, y in around} == {ACCENT}
    assert all(_pixel(blank, bpp, x, y) == ACCENT for x, y in differ)
    assert max(min(_pixel(shown, bpp, x, y)) for x, y in differ) > 220  # white glyphs


@pytest.mark.slow
def test_index_page_lists_the_month_with_a_side_margin(pages: Path, tmp_path: Path) -> None:
    binary = _chromium()
    index = pages / "index.html"
    dom = _run(binary, tmp_path, "--dump-dom", index.as_uri()).stdout.decode("utf-8")
    assert 'href="B001.html"' in dom and 'href="B012.html"' in dom
    assert "25,155.00" in dom  # the month's net pay
    width, height, bpp, rows = _screenshot(binary, tmp_path, index)
    # the sheet never touches the window's edges, even narrower than its 277 mm
    edges = {_pixel(rows, bpp, x, y) for y in range(height) for x in (*range(10), *range(width - 10, width))}
    assert edges == {BACKGROUND}


def test_a_cjk_font_is_installed() -> None:
    """Without one, Chinese labels print as empty boxes (tofu) in the browser."""
    _chromium()
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        pytest.skip("fontconfig not installed")
    fonts = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, check=False)
    assert fonts.stdout.strip(), "no Chinese font: apt-get install fonts-wqy-microhei"
