"""The HTML slip in a real browser: headless Chromium screenshot and DOM dump."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from cmrules.render import render_html_index, render_html_slip

SAMPLE = Path(__file__).parent / "fixtures" / "sample_slip.json"
WIDTH, HEIGHT = 900, 1200


def _chromium() -> str:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("chromium not installed: apt-get install chromium")
    return binary


def _run(binary: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp_path / "profile"
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
        f"--user-data-dir={profile}",
        *args,
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    return subprocess.run(command, capture_output=True, timeout=120, env=env, check=False)


def _png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and raw (filtered) scanlines of a PNG: enough to see it is not blank."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, zlib.decompress(idat)


@pytest.fixture
def page(tmp_path: Path) -> Path:
    slip = json.loads(SAMPLE.read_text(encoding="utf-8"))
    path = tmp_path / "B001.html"
    path.write_text(render_html_slip(slip), encoding="utf-8")
    return path


def test_screenshot_is_non_trivial(page: Path, tmp_path: Path) -> None:
    binary = _chromium()
    png = tmp_path / "slip.png"
    result = _run(binary, tmp_path, f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}", page.as_uri())
    assert png.exists(), result.stderr.decode(errors="replace")[-2000:]
    data = png.read_bytes()
    width, height, raw = _png_pixels(data)
    assert (width, height) == (WIDTH, HEIGHT)
    assert len(data) > 20_000  # a blank page compresses to a few kB
    assert len(set(raw)) > 64  # many distinct byte values: text, rules, the net panel


def test_dom_has_net_amount_and_labels(page: Path, tmp_path: Path) -> None:
    binary = _chromium()
    result = _run(binary, tmp_path, "--dump-dom", page.as_uri())
    dom = result.stdout.decode("utf-8")
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    assert '<span id="net">3,110.00</span>' in dom
    assert "底薪" in dom and "Base pay" in dom
    assert "fe726a73f231dc63f952ff2b5221077665359cd3c41186a8a2a6e27ebd7c8483" in dom


def test_index_page_loads(tmp_path: Path) -> None:
    binary = _chromium()
    slip = json.loads(SAMPLE.read_text(encoding="utf-8"))
    path = tmp_path / "index.html"
    path.write_text(render_html_index([slip], []), encoding="utf-8")
    result = _run(binary, tmp_path, "--dump-dom", path.as_uri())
    dom = result.stdout.decode("utf-8")
    assert 'href="B001.html"' in dom and "3,110.00" in dom


def test_a_cjk_font_is_installed() -> None:
    """Without one, Chinese labels print as empty boxes (tofu) in the browser."""
    _chromium()
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        pytest.skip("fontconfig not installed")
    fonts = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, check=False)
    assert fonts.stdout.strip(), "no Chinese font: apt-get install fonts-wqy-microhei"
