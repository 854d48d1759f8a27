"""Classroom load (issue #17): 30 students upload 30 different photos to Classify and explain at about the same
time; does every one of them see what they would have seen alone, how long do they wait, and how much memory
does the server need?

    .venv/bin/python benchmarks/classroom_load.py [--sessions 30] [--stagger 15] [--timeout 300] [--json]
        [--warm-up] [--artifacts DIR]

Makes ``--sessions`` different images (scikit-image's photos, then mirrored, rotated and cropped copies of them;
PNG and JPEG) and runs two passes, each against its own ``streamlit run app.py`` (``RESNET_VIZ_OFFLINE=1``, an
empty ``RESNET_VIZ_CACHE`` in a temporary folder, so the second pass computes everything again):

- solo: one browser session at a time opens ``/classify_explain``, picks "upload" in the "Image" radio, uploads
  its image and waits for the result;
- concurrent: the same, one browser context (= one Streamlit session) per image, session ``i`` starting at
  ``i * stagger / sessions`` seconds, all in one headless Debian Chromium (Playwright's async API). By default
  they meet a server that has just started; ``--warm-up`` opens Home once first, as a teacher would.

"The result" is there when the script has finished (``data-test-script-state`` notRunning, no skeleton), the
uploader lists the file, the "No image yet" caption is gone and the top-5 chart (``.st-key-top5``) and the
Grad-CAM overlays (``.st-key-ov-<arch>``) are drawn. What a session shows is read from those plotly figures
(``el.data`` of each ``.js-plotly-plot``): both networks' top-5 labels and percentages as text, and for each
overlay its title with a digest of the heatmap (rounded to 1e-4) and of the image under it; plus the text of
the info and warning boxes of the main block (the takeaways). A session fails on a timeout, an exception, a
Streamlit exception box or an error box; it mismatches when the concurrent pass shows other than the solo one.

Time to result is from the upload (``set_input_files``) to the result being shown. The server's RSS (the
streamlit process and its children, ``VmRSS`` from /proc) is sampled every 0.2 s during the concurrent pass.
The report also counts the exceptions in the server's log. ``--artifacts DIR`` keeps the images, both server
logs and a screenshot of each failed session. Exits 1 when a session failed or mismatched. Set
``RESNET_VIZ_THREADS`` to pin the server's torch threads. A full run takes several minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGE = "classify_explain"
UPLOAD_INPUT = ".st-key-ce_upload input[type='file']"
UPLOAD_RADIO = ".st-key-ce_source label:has-text('upload')"

# true when the result of the upload of file ``name`` is shown, "error" when an error is shown instead
RESULT_JS = """(name) => {
  const app = document.querySelector("[data-testid='stApp']");
  const main = document.querySelector("[data-testid='stMain']") || document.body;
  if (!app) return false;
  if (main.querySelector("[data-testid='stException'], [data-testid='stAlertContentError']")) return "error";
  if (app.getAttribute("data-test-script-state") !== "notRunning") return false;
  if (document.querySelector("[data-testid='stSkeleton']")) return false;
  const chips = document.querySelector(".st-key-ce_upload [data-testid='stFileChips']");
  if (chips && chips.querySelector("[data-testid='stFileChipIconError']")) return "error";
  if (!chips || chips.querySelector("[data-testid='stFileChipIconSpinner']")) return false;
  const names = [...chips.querySelectorAll("[data-testid='stFileChipName']")].map(e => e.textContent.trim());
  const fits = t => {  // long names are shown shortened in the middle: "02-astr...t-orig.png"
    const parts = t.replace(String.fromCharCode(8230), "...").split("...");
    return t === name || (parts.length === 2 && name.startsWith(parts[0]) && name.endsWith(parts[1]));
  };
  if (!names.some(fits)) return false;
  const captions = [...main.querySelectorAll("[data-testid='stCaptionContainer']")];
  if (captions.some(e => e.textContent.includes("No image yet"))) return false;
  const top = main.querySelector(".st-key-top5 .js-plotly-plot");
  const maps = [...main.querySelectorAll("[class*='st-key-ov-'] .js-plotly-plot")];
  return !!(top && top.data && maps.length > 0 && maps.every(m => m.data && m.data.length));
}"""

RADIO_OR_ERROR_JS = """() => !!document.querySelector(
  ".st-key-ce_source input[type='radio'], [data-testid='stException']")"""

# what the main block shows: its plotly figures (keyed by their Streamlit key), alert boxes and errors
SNAPSHOT_JS = """() => {
  const main = document.querySelector("[data-testid='stMain']") || document.body;
  const plain = v => (v && ArrayBuffer.isView(v)) ? Array.from(v) : v;
  const keyOf = el => { for (let p = el; p && p !== main; p = p.parentElement) {
      const m = typeof p.className === "string" && p.className.match(/st-key-(\\S+)/); if (m) return m[1]; }
    return ""; };
  const charts = [...main.querySelectorAll(".js-plotly-plot")].map(el => ({
    key: keyOf(el), title: (el.layout.title && el.layout.title.text) || "",
    annotations: (el.layout.annotations || []).map(a => a.text),
    traces: (el.data || []).map(t => ({type: t.type, x: plain(t.x), y: plain(t.y), text: plain(t.text),
                                       z: plain(t.z)}))}));
  const alerts = [...main.querySelectorAll("[data-testid='stAlertContainer']")].map(e => ({
    kind: (e.querySelector("[data-testid^='stAlertContent']") || e).getAttribute("data-testid"),
    text: (e.querySelector("[data-testid='stMarkdownContainer']") || e).innerText.trim()}));
  const errors = [...main.querySelectorAll("[data-testid='stException']")].map(e => e.innerText.trim()).concat(
    [...main.querySelectorAll("[data-testid='stFileChip']:has([data-testid='stFileChipIconError'])")]
      .map(e => "upload failed: " + e.innerText.trim()));
  return {charts, alerts, errors};
}"""


class ShownError(Exception):
    """The page shows an exception or an error box."""


@dataclass
class Session:
    image: Path
    shown: dict | None = None
    open_s: float = float("nan")
    result_s: float = float("nan")
    error: str = ""


# ---- images -------------------------------------------------------------------------------------------------


def base_photos() -> list[tuple[str, np.ndarray]]:
    """scikit-image's colour photos that ship with the package (and its grey camera man, as RGB)."""
    import skimage.data as data

    out = []
    for name in ("chelsea", "coffee", "astronaut", "rocket", "immunohistochemistry", "retina", "colorwheel",
                 "hubble_deep_field", "logo", "stereo_motorcycle", "camera"):
        try:
            img = getattr(data, name)()
        except Exception:  # noqa: BLE001 - a file that needs pooch (a download) on this install
            continue
        pics = [("left", img[0]), ("right", img[1])] if name == "stereo_motorcycle" else [("", img)]
        for part, arr in pics:
            arr = np.asarray(arr)
            if arr.ndim == 2:
                arr = np.stack([arr] * 3, axis=-1)
            if arr.shape[-1] == 4:  # RGBA on white
                alpha = arr[..., 3:] / 255.0
                arr = (arr[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
            out.append((f"{name}-{part}" if part else name, np.ascontiguousarray(arr[..., :3])))
    return out


def variant(arr: np.ndarray, k: int) -> tuple[str, np.ndarray]:
    """The ``k``-th deterministic variant of a photo: itself, mirrored, rotated, then crops."""
    if k == 0:
        return "orig", arr
    if k == 1:
        return "mirror", arr[:, ::-1]
    if k == 2:
        return "rot90", np.rot90(arr)
    if k == 3:
        return "flipud", arr[::-1]
    h, w = arr.shape[:2]
    f = 0.5 + 0.1 * ((k - 4) % 4)  # crops: 50 %..80 % of the side, walking along the diagonal
    ch, cw = int(h * f), int(w * f)
    y, x = (h - ch) * ((k - 4) % 3) // 2, (w - cw) * ((k - 4) % 3) // 2
    return f"crop{k}", arr[y:y + ch, x:x + cw]


def make_images(folder: Path, n: int) -> list[Path]:
    """``n`` different image files (PNG and JPEG, alternating) with distinct names and contents."""
    from PIL import Image

    photos = base_photos()
    paths, digests = [], set()
    k = 0
    while len(paths) < n:
        for name, arr in photos:
            if len(paths) == n:
                break
            tag, img = variant(arr, k)
            ext = "png" if len(paths) % 2 == 0 else "jpg"
            path = folder / f"{len(paths):02d}-{name}-{tag}.{ext}"
            Image.fromarray(np.ascontiguousarray(img)).save(path, **({"quality": 90} if ext == "jpg" else {}))
            digest = hashlib.sha1(path.read_bytes()).hexdigest()
            if digest in digests:
                path.unlink()
                continue
            digests.add(digest)
            paths.append(path)
        k += 1
    return paths


# ---- what a session shows -----------------------------------------------------------------------------------


def array_digest(z) -> str:
    """A short digest of a plotly array: plain lists or plotly's typed ``{dtype, bdata, shape}``."""
    if isinstance(z, dict) and "bdata" in z:
        a = np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"]))
    else:
        a = np.asarray(z if z is not None else [], dtype=float).ravel()
    if a.dtype.kind == "f":
        a = np.round(a.astype(np.float64), 4) + 0.0  # + 0.0: -0.0 and 0.0 alike
    return hashlib.sha1(a.tobytes()).hexdigest()[:12]


def what_it_shows(snap: dict) -> dict:
    """The comparable part of a snapshot: top-5 text of both networks, Grad-CAM digests, info texts."""
    top5, maps = [], []
    for chart in snap["charts"]:
        if chart["key"] == "top5":
            for name, trace in zip(chart["annotations"], chart["traces"]):
                bars = [f"{y} {t}" for y, t in zip(trace["y"] or [], trace["text"] or [])][::-1]  # best first
                top5.append(f"{name}: " + ", ".join(bars))
        elif chart["key"].startswith("ov-"):
            parts = [f"{t['type']}={array_digest(t['z'])}" for t in chart["traces"]]
            maps.append(f"{chart['title'].replace('<b>', '').replace('</b>', '')} [{' '.join(parts)}]")
    notes = [a["text"] for a in snap["alerts"] if a["kind"] != "stAlertContentError"]
    return {"top5": top5, "gradcam": maps, "notes": notes}


def shown_errors(snap: dict) -> list[str]:
    """The exceptions and error boxes in a snapshot, each text once."""
    return list(dict.fromkeys(snap["errors"] + [a["text"] for a in snap["alerts"]
                                                 if a["kind"] == "stAlertContentError"]))


# ---- one browser session ------------------------------------------------------------------------------------


async def wait_ready(page, timeout_ms: int) -> None:
    """The async twin of ``tests.browser.wait_ready``: navigation shown, script finished, no skeleton."""
    await page.wait_for_selector("[data-testid='stSidebarNavLink']:has-text('Home')", timeout=timeout_ms)
    await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)
    await page.wait_for_function("document.querySelectorAll(\"[data-testid='stSkeleton']\").length === 0",
                                 timeout=timeout_ms, polling=200)


async def student(page, url: str, s: Session, deadline: float) -> None:
    """Open the page, pick "upload", upload ``s.image`` and record what the page shows and when."""
    left = lambda: max(1, int(1000 * (deadline - time.monotonic())))  # ms until this session's deadline
    t0 = time.monotonic()
    await page.goto(f"{url}/{PAGE}", timeout=left())
    await wait_ready(page, left())
    await page.wait_for_function(RADIO_OR_ERROR_JS, timeout=left(), polling=200)
    errors = shown_errors(await page.evaluate(SNAPSHOT_JS))
    if errors:
        raise ShownError("on opening the page: " + " | ".join(e.replace("\n", " ")[:200] for e in errors))
    await page.locator(UPLOAD_RADIO).click(timeout=left())
    await page.wait_for_selector(UPLOAD_INPUT, state="attached", timeout=left())
    await wait_ready(page, left())
    s.open_s = time.monotonic() - t0
    t1 = time.monotonic()
    await page.set_input_files(UPLOAD_INPUT, str(s.image), timeout=left())
    state = await page.wait_for_function(RESULT_JS, arg=s.image.name, timeout=left(), polling=200)
    s.result_s = time.monotonic() - t1
    if await state.json_value() is True:  # settled? (a second look, half a second later)
        await asyncio.sleep(0.5)
        await page.wait_for_function(RESULT_JS, arg=s.image.name, timeout=left(), polling=200)
    snap = await page.evaluate(SNAPSHOT_JS)
    errors = shown_errors(snap)
    if errors:
        raise ShownError(" | ".join(e.replace("\n", " ")[:200] for e in errors))
    s.shown = what_it_shows(snap)


async def run_session(browser, url: str, s: Session, start_at: float, timeout: float, shots: Path | None) -> None:
    """``student`` in a new browser context (= a new Streamlit session) at ``start_at`` (monotonic); failures
    are recorded in ``s.error`` (with a screenshot in ``shots``), not raised."""
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    deadline = time.monotonic() + timeout
    ctx, page = await browser.new_context(viewport={"width": 1400, "height": 1000}), None
    try:
        page = await ctx.new_page()
        await asyncio.wait_for(student(page, url, s, deadline), timeout + 10)
    except Exception as e:  # noqa: BLE001 - timeouts and browser errors are the measurement
        s.error = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]
    if s.error and shots is not None and page is not None:
        with contextlib.suppress(Exception):
            await page.screenshot(path=str(shots / f"{s.image.stem}.png"), full_page=True, timeout=30_000)
    await ctx.close()
    print(f"  {s.image.name}: " + (f"FAILED {s.error}" if s.error else f"result in {s.result_s:.1f} s"),
          file=sys.stderr, flush=True)


# ---- passes -------------------------------------------------------------------------------------------------


def process_tree(root: int) -> set[int]:
    """``root`` and all its descendants, from /proc."""
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, {root}
    while frontier:
        frontier = {p for p, pp in parent.items() if pp in frontier and p not in tree}
        tree |= frontier
    return tree


def usage(root: int) -> tuple[int, float]:
    """(VmRSS in KiB, CPU seconds used so far) of ``root`` and its descendants (with their reaped children)."""
    rss, ticks = 0, 0
    for pid in process_tree(root):
        with contextlib.suppress(OSError, IndexError, ValueError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return rss, ticks / os.sysconf("SC_CLK_TCK")


class RssSampler(threading.Thread):
    """Samples ``usage(pid)`` every ``period`` s until ``stop()``: ``first`` and ``peak`` RSS in KiB, and
    ``cpu_s`` and ``wall_s``, the CPU and wall seconds between start and stop."""

    def __init__(self, pid: int, period: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.period, self.peak, self.cpu_s, self.wall_s = pid, period, 0, 0.0, 0.0
        self.first, self._cpu0 = usage(pid)
        self._t0 = time.monotonic()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.period):
            self.peak = max(self.peak, usage(self.pid)[0])

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.wall_s = time.monotonic() - self._t0
        rss, cpu = usage(self.pid)
        self.peak, self.cpu_s = max(self.peak, self.first, rss), cpu - self._cpu0


async def browse(url: str, images: list[Path], stagger: float | None, timeout: float,
                 shots: Path | None, warm_up: bool) -> list[Session]:
    """One Chromium; the sessions one after another (``stagger`` None) or staggered over ``stagger`` s,
    after one visit of Home when ``warm_up`` (as a teacher who opens the app before the class does)."""
    from playwright.async_api import async_playwright

    from tests.browser import CHROMIUM_ARGS, chromium_path

    sessions = [Session(img) for img in images]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            if warm_up:
                page = await browser.new_page()
                await page.goto(url, timeout=1000 * timeout)
                await wait_ready(page, int(1000 * timeout))
                await page.close()
            if stagger is None:
                for s in sessions:
                    await run_session(browser, url, s, time.monotonic(), timeout, shots)
            else:
                t0 = time.monotonic()
                await asyncio.gather(*(run_session(browser, url, s, t0 + i * stagger / len(sessions), timeout, shots)
                                       for i, s in enumerate(sessions)))
        finally:
            await browser.close()
    return sessions


def log_errors(text: str) -> Counter:
    """The exceptions in a server log (the line that ends each traceback), counted."""
    out: Counter = Counter()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            end = next((x for x in lines[i + 1:] if x and not x.startswith((" ", "\t", "^", "~"))), "?")
            out[end.strip()[:200]] += 1
    return out


def run_pass(images: list[Path], stagger: float | None, timeout: float, shots: Path | None,
             work: Path, name: str, warm_up: bool = False) -> tuple[list[Session], RssSampler, Counter]:
    """A fresh server (empty app cache), the sessions against it, its RSS samples and its log's exceptions."""
    from tests.browser import running_app

    log_path = work / f"streamlit-{name}.log"  # kept: the report counts the exceptions in it
    with (tempfile.TemporaryDirectory(prefix="rv-cache-") as cache,
          running_app({"RESNET_VIZ_OFFLINE": "1", "RESNET_VIZ_CACHE": cache}, timeout=180.0, log_path=log_path) as url):
        sampler = RssSampler(url.pid)
        sampler.start()
        try:
            sessions = asyncio.run(browse(url, images, stagger, timeout, shots, warm_up))
        finally:
            sampler.stop()
    return sessions, sampler, log_errors(log_path.read_text(errors="replace"))


# ---- report -------------------------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, RESNET_VIZ_THREADS={os.environ.get('RESNET_VIZ_THREADS', 'unset')}"


def diff(a: dict, b: dict) -> str:
    """The first differing line of two ``what_it_shows`` results."""
    for key in a:
        for x, y in zip(a[key] + ["(nothing)"] * len(b[key]), b[key] + ["(nothing)"] * len(a[key])):
            if x != y:
                return f"{key}: alone {x!r} / with others {y!r}"
    return "?"


def times(values: list[float]) -> tuple[float, float]:
    """(median, max) rounded to 0.01, NaN when empty."""
    values = [v for v in values if v == v]
    return (round(statistics.median(values), 2), round(max(values), 2)) if values else (float("nan"),) * 2


def summary(solo: list[Session], conc: list[Session], sampler: RssSampler, logs: dict[str, Counter]) -> dict:
    """The numbers of the report (keys starting with ``_`` are for the text report only)."""
    mismatches = [(a, b) for a, b in zip(solo, conc) if not a.error and not b.error and a.shown != b.shown]
    (solo_med, solo_max) = times([s.result_s for s in solo if not s.error])
    (med, mx), (open_med, open_max) = times([s.result_s for s in conc if not s.error]), times([s.open_s for s in conc])
    return {"sessions": len(conc), "failures": sum(bool(s.error) for s in conc),
            "solo_failures": sum(bool(s.error) for s in solo), "mismatches": len(mismatches),
            "solo_median_s": solo_med, "solo_max_s": solo_max, "median_s": med, "max_s": mx,
            "open_median_s": open_med, "open_max_s": open_max, "peak_rss_mib": round(sampler.peak / 1024, 1),
            "start_rss_mib": round(sampler.first / 1024, 1), "pass_wall_s": round(sampler.wall_s, 1),
            "server_cpu_s": round(sampler.cpu_s, 1),
            "distinct_results": len({json.dumps(s.shown, sort_keys=True) for s in solo if s.shown}),
            "server_exceptions": {k: sum(v.values()) for k, v in logs.items()},
            "machine": machine(), "_mismatched": mismatches, "_logs": logs}


def print_report(res: dict, solo: list[Session], conc: list[Session], stagger: float, wall: float) -> None:
    print(f"classroom load: {res['sessions']} sessions on /{PAGE}, started over {stagger:g} s, each uploads "
          f"its own image; machine: {res['machine']}")
    print(f"  solo pass:       failures {res['solo_failures']}, time to result median {res['solo_median_s']:.2f} s, "
          f"max {res['solo_max_s']:.2f} s; {res['distinct_results']} distinct results")
    print(f"  concurrent pass: failures {res['failures']}, mismatches {res['mismatches']}, time to result median "
          f"{res['median_s']:.2f} s, max {res['max_s']:.2f} s; page open (before the upload) median "
          f"{res['open_median_s']:.2f} s, max {res['open_max_s']:.2f} s")
    print(f"  server (streamlit + children) in the concurrent pass: RSS {res['start_rss_mib']:.0f} MiB at start, "
          f"peak {res['peak_rss_mib']:.0f} MiB; {res['server_cpu_s']:.0f} CPU s in {res['pass_wall_s']:.0f} s "
          f"(the browser shares the same cores)")
    for name, ss in (("solo", solo), ("concurrent", conc)):
        for s in [s for s in ss if s.error][:5]:
            print(f"  FAILED ({name}) {s.image.name}: {s.error}")
    for a, b in res["_mismatched"][:5]:
        print(f"  MISMATCH {a.image.name}: {diff(a.shown, b.shown)}")
    for name, errors in res["_logs"].items():
        for line, n in errors.most_common(5):
            print(f"  server log ({name} pass): {n} x {line}")
    print(f"  wall time {wall:.0f} s (load average at start {res['_load_at_start']:.1f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=30, help="students, each with their own image (default 30)")
    ap.add_argument("--stagger", type=float, default=15.0, help="seconds over which the sessions start")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds one session may take (default 300)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    ap.add_argument("--warm-up", action="store_true", help="open Home once before the concurrent sessions "
                    "start (default: they meet a server that has just started)")
    ap.add_argument("--artifacts", type=Path, help="keep the images, server logs and screenshots of failed "
                    "sessions in this folder (default: a temporary folder, removed)")
    args = ap.parse_args()

    from tests.browser import chromium_path

    if chromium_path() is None:
        sys.exit("error: Debian chromium is not installed (apt-get install chromium)")
    t0, load = time.monotonic(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="rv-load-") as tmp:
        work = args.artifacts or Path(tmp)
        for sub in ("images", "failed-solo", "failed-concurrent"):
            (work / sub).mkdir(parents=True, exist_ok=True)
        images = make_images(work / "images", args.sessions)
        shots = (lambda name: work / f"failed-{name}") if args.artifacts else (lambda name: None)
        solo, _, solo_log = run_pass(images, None, args.timeout, shots("solo"), work, "solo")
        conc, sampler, conc_log = run_pass(images, args.stagger, args.timeout, shots("concurrent"), work,
                                           "concurrent", args.warm_up)
    res = summary(solo, conc, sampler, {"solo": solo_log, "concurrent": conc_log})
    res["_load_at_start"] = load
    if args.json:
        print(json.dumps({k: v for k, v in res.items() if not k.startswith("_")}))
    else:
        print_report(res, solo, conc, args.stagger, time.monotonic() - t0)
    sys.exit(1 if res["failures"] or res["solo_failures"] or res["mismatches"] else 0)


if __name__ == "__main__":
    main()
