"""Start the real app and drive it in headless Debian Chromium (Playwright, no browser download)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    for p in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if p and Path(p).is_file():
            return p
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppURL(str):
    """The base URL of a running app; ``.pid`` is the server process."""

    pid: int


@contextlib.contextmanager
def running_app(env: dict | None = None, timeout: float = 90.0, address: str = "127.0.0.1",
                log_path: Path | None = None):
    """``streamlit run app.py`` on a free port of ``address`` (default: loopback only, where the local user is the
    teacher; ``0.0.0.0`` serves a class); yields the loopback base URL (an ``AppURL``, with the server's ``pid``);
    stops it afterwards. The server's output goes to ``log_path``, else to ``test-artifacts/`` when that exists."""
    port = free_port()
    if log_path is None and (ROOT / "test-artifacts").is_dir():
        log_path = ROOT / "test-artifacts" / f"streamlit-{port}.log"
    log = open(log_path, "w") if log_path is not None else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", address],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    url = AppURL(f"http://127.0.0.1:{port}")
    url.pid = proc.pid
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            where = f"; see {log_path}" if log_path is not None else ""
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {proc.returncode}{where}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit did not become healthy{where}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log is not subprocess.DEVNULL:
            log.close()


def wait_ready(page, timeout_ms: int = 60_000, home: str = "Home") -> None:
    """Wait until app.py has run (its navigation is shown), the script has finished and no
    skeleton placeholder is left. (``notRunning`` alone is also true before the first run starts.) ``home``: the
    Home page's title in the page's language."""
    # app.py's own navigation (titled pages), not Streamlit's file-name list of a page run on its own
    page.wait_for_selector(f"[data-testid='stSidebarNavLink']:has-text('{home}')", timeout=timeout_ms)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)
    page.wait_for_function("document.querySelectorAll(\"[data-testid='stSkeleton']\").length === 0",
                           timeout=timeout_ms)
