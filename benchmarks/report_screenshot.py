"""Render a screen report and screenshot it in a real headless browser (Debian's chromium).

Screens the bundled library against the given radionuclides, writes ``report.html`` with
:func:`chelscreen.report`, and takes PNG screenshots with ``chromium --headless`` — the first
screen (1366 × 900: the summary table must answer "which chelator for which radionuclide"
there) and the full page at 1366 px wide. It also checks the layout with the browser's own
DOM (``--dump-dom`` after layout is not available headless, so the checks are on geometry the
script injects into the page title via a tiny inline script in a *copy* of the report): no card
content wider than its card, no ``None``/``nan``/empty-slot text. Prints the paths and timings.

Usage::

    python benchmarks/report_screenshot.py [--nuclides Ac-225,Pb-212,...] [--out DIR]

Needs ``chromium`` on the PATH (``apt-get install -y chromium``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_NUCLIDES = "Ac-225,Bi-213,Pb-212,Th-227,Ra-223,Lu-177,Zr-89,Ga-68,In-111,Cu-64"

#: injected into a copy of the page: measures overflow after layout and writes the verdict
#: into document.title, which --dump-dom prints
_PROBE = """<script>
window.addEventListener('load', function () {
  var bad = [];
  document.querySelectorAll('.card').forEach(function (card, i) {
    var w = card.getBoundingClientRect().right + 1;
    card.querySelectorAll('*').forEach(function (el) {
      if (el.closest('details:not([open])') && el.tagName !== 'SUMMARY') return;
      if (el.closest('.scroll') && !el.classList.contains('scroll')) return;
      var r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > w) bad.push('card ' + i + ' ' + el.tagName);
    });
  });
  document.title = 'LAYOUT:' + (bad.length ? bad.slice(0, 5).join('|') : 'ok');
});
</script>"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("no chromium on the PATH: apt-get install -y chromium")


def _run(args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    base = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--disable-dev-shm-usage", "--virtual-time-budget=4000"]
    return subprocess.run(base + args, capture_output=True, text=True, timeout=timeout)


def screenshot(html: Path, png: Path, width: int = 1366, height: int = 900) -> Path:
    _run([f"--window-size={width},{height}", f"--screenshot={png}", html.as_uri()])
    if not png.exists():
        raise SystemExit(f"chromium wrote no screenshot for {html}")
    return png


def layout_check(html: Path, width: int = 1366) -> str:
    """Open every <details>, let the browser lay the page out, report overflowing elements."""
    text = html.read_text(encoding="utf-8").replace("<details>", "<details open>")
    probe = html.with_name(html.stem + ".probe.html")
    probe.write_text(text.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    out = _run([f"--window-size={width},900", "--dump-dom", probe.as_uri()]).stdout
    probe.unlink(missing_ok=True)
    m = re.search(r"<title>(LAYOUT:[^<]*)</title>", out)
    return m.group(1) if m else "LAYOUT: probe did not run"


def text_holes(html: Path) -> list[str]:
    """Template holes: 'nan', 'None', or labels followed by nothing."""
    text = re.sub(r"<svg.*?</svg>|<img[^>]*>|<style.*?</style>", "", html.read_text("utf-8"),
                  flags=re.S)
    visible = re.sub(r"<[^>]+>", " ", text)
    holes = re.findall(r"\b(?:nan|None)\b|suggested\s*°C|,\s*min,|pH\s*;", visible)
    return sorted(set(holes))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nuclides", default=DEFAULT_NUCLIDES)
    ap.add_argument("--out", default=None, help="folder for report.html and the PNGs")
    args = ap.parse_args(argv)
    import chelscreen

    out = Path(args.out or tempfile.mkdtemp(prefix="chelscreen-report-"))
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    df = chelscreen.screen(None, args.nuclides, out=None, progress=False, report=False)
    t1 = time.perf_counter()
    html = chelscreen.report(df, out / "report.html")
    t2 = time.perf_counter()
    first = screenshot(html, out / "report_first_screen.png")
    full = screenshot(html, out / "report_full.png", height=9000)
    t3 = time.perf_counter()
    verdict = layout_check(html)
    holes = text_holes(html)
    load = os.getloadavg()[0]
    print(f"report: {html} ({html.stat().st_size / 1e6:.2f} MB)")
    print(f"first screen: {first}\nfull page: {full}")
    print(f"layout (all details open): {verdict}")
    print(f"template holes: {holes or 'none'}")
    print(f"screen {t1 - t0:.1f} s, render {t2 - t1:.1f} s, screenshots {t3 - t2:.1f} s "
          f"(wall; load average {load:.2f})")
    return 0 if verdict == "LAYOUT:ok" and not holes else 1


if __name__ == "__main__":
    sys.exit(main())
