"""Start-up: the warm-up thread waits while a page script runs."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures('clear_streamlit_caches')


def test_start_up_warm_up_waits_while_a_page_script_runs(monkeypatch):
    """The start-up thread's story steps yield to page scripts: they wait while one runs and for a grace
    period after it ended (the browser is still drawing), and never longer than IDLE_WAIT_S."""
    import threading
    import time

    from resnet_viz.ui import common

    monkeypatch.setattr(common, "GRACE_S", 0.3)
    running, release = threading.Event(), threading.Event()

    def page():
        with common.page_running():
            running.set()
            release.wait(5)

    threading.Thread(target=page).start()
    running.wait(5)
    waited = {}

    def step():
        t = time.monotonic()
        common._wait_for_idle()
        waited["s"] = time.monotonic() - t

    th = threading.Thread(target=step)
    th.start()
    time.sleep(0.5)
    assert th.is_alive(), "a warm-up step started while a page script was running"
    release.set()
    th.join(5)
    assert 0.5 + 0.3 - 0.05 <= waited["s"] < 3, waited  # the script's time plus the grace period

    monkeypatch.setattr(common, "IDLE_WAIT_S", 0.4)  # a server that is never idle still gets warmed up
    with common.page_running():
        t = time.monotonic()
        common._wait_for_idle()
        assert time.monotonic() - t < 1.5
