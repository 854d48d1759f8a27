"""Time to first full render of every page in a real browser, cold and warm, and the server's peak memory.

    python benchmarks/app_render.py [--repeats 1]

Starts ``streamlit run app.py`` on a free port with an empty app cache (``RESNET_VIZ_CACHE`` in a temporary
folder; the torch hub cache is whatever this machine has), opens it in headless Debian Chromium
(Playwright with ``executable_path``), and for each page measures the time from navigation to "rendered":
app.py's navigation is shown, the script has finished and no skeleton placeholder is left (the same
condition as the browser test). Cold = the first visit of that page after the server started (Home first,
as a student would); warm = a second visit. Peak RSS is the server process's high-water mark
(``VmHWM``) after all visits. Targets (issue #7): Home < 3 s cold, every page < 5 s cold and < 1 s warm,
peak RSS < 2.5 GB.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGES = ["", "architectures", "gradient_flow", "degradation", "classify_explain", "feature_maps", "block_anatomy",
         "why_it_works", "your_data"]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=1, help="warm visits per page (the median is printed)")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS, chromium_path, running_app, wait_ready

    exe = chromium_path()
    if exe is None:
        sys.exit("error: Debian chromium is not installed (apt-get install chromium)")
    rows = []
    env = {"RESNET_VIZ_OFFLINE": "1"}
    with tempfile.TemporaryDirectory() as tmp, running_app({**env, "RESNET_VIZ_CACHE": tmp}) as url, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})

        def visit(path: str) -> float:
            t = time.perf_counter()
            page.goto(f"{url}/{path}")
            wait_ready(page, 300_000)
            return time.perf_counter() - t

        def navigate(path: str) -> float:
            """In-app navigation (the sidebar link), as a student moves between pages: no page reload."""
            t = time.perf_counter()
            page.locator(f"[data-testid='stSidebarNavLink'][href$='/{path}']").first.click()
            page.wait_for_url(f"**/{path}*")
            wait_ready(page, 300_000)
            return time.perf_counter() - t

        cold = {path: visit(path) for path in PAGES}
        warm, nav = {}, {}
        for path in PAGES:
            times = sorted(visit(path) for _ in range(args.repeats))
            warm[path] = times[len(times) // 2]
        for path in PAGES[1:] + PAGES[:1]:
            times = []
            for _ in range(args.repeats):
                visit(PAGES[(PAGES.index(path) + 1) % len(PAGES)])  # start from another page
                times.append(navigate(path))
            nav[path] = sorted(times)[len(times) // 2]
        rss = peak_rss_mb(url.pid)
        browser.close()
    print(f"server: {os.cpu_count()} CPUs visible, app cache empty at start")
    print("cold = first visit after the server started; reload = a warm full page load (new session, the "
          "browser loads the app's JavaScript again); in-app = a warm click on the sidebar link")
    print(f"{'page':<18}{'cold s':>8}{'reload s':>10}{'in-app s':>10}   target cold / warm")
    for path in PAGES:
        name = path or "home"
        target = 3.0 if name == "home" else 5.0
        rows.append((name, cold[path], warm[path], nav[path]))
        flag = "" if cold[path] < target and nav[path] < 1.0 else "   <- over target"
        print(f"{name:<18}{cold[path]:>8.2f}{warm[path]:>10.2f}{nav[path]:>10.2f}   < {target:.0f} / < 1{flag}")
    print(f"peak RSS of the server after all visits: {rss:.0f} MB (target < 2560 MB)")


if __name__ == "__main__":
    main()
