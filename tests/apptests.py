"""Helpers of the AppTest tests (tests/ui, tests/pages): the app, pages opened on a tab, widgets picked by
their option text, background probe jobs waited for."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def compute_now(tab: str | None, prefix: str, folder, sliders: dict, button: str, timeout: float = 240) -> AppTest:
    """Open a tab, switch it to "compute now" on ``folder``, set the sliders, start the background jobs,
    wait for them and draw the page again."""
    if not shipped_pairs():
        pytest.skip("no shipped twins in assets/runs")
    at = why_page(tab)
    if "stored results" in at.radio(key=f"{prefix}_mode").options:
        at.radio(key=f"{prefix}_mode").set_value("compute now").run()
    pick_folder(at, f"{prefix}_data", folder)
    for key, value in sliders.items():
        at.select_slider(key=key).set_value(value).run()
    at.button(key=button).click().run()
    assert not at.exception, at.exception
    wait_for_probes(timeout)
    at.run()
    assert not at.exception, at.exception
    return at


def pick_folder(at: AppTest, key: str, path) -> None:
    at.selectbox(key=key).set_value("a folder on this server...").run()
    at.text_input(key=f"{key}_folder").set_value(str(path)).run()


def page_with_reference(page: str, pair_key: str) -> AppTest:
    """A page with the reference ResNet-20 checkpoint picked (tests that compare with measured numbers)."""
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    pick_option(at, pair_key, "CIFAR-10 ResNet-20 (reference checkpoint")
    return at


def pick_option(at: AppTest, key: str, prefix: str) -> None:
    """Select the first option of a selectbox that starts with ``prefix``."""
    box = at.selectbox(key=key)
    box.set_value(next(o for o in box.options if o.startswith(prefix))).run()
    assert not at.exception, at.exception


def png_of(arr) -> bytes:


    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def shipped_pairs() -> list[str]:
    from resnet_viz.runs.twins import twin_pairs

    return [p.label() for p in twin_pairs() if p.shipped]


def wait_for_probes(timeout: float = 240) -> None:

    from resnet_viz.training.jobs import probe_root, probe_state

    t0 = time.time()
    while time.time() - t0 < timeout:
        keys = [p.name.removesuffix(".progress.json") for p in probe_root().glob("*.progress.json")]
        if keys and all(probe_state(k)["state"] in ("finished", "failed") for k in keys):
            return
        time.sleep(1)
    raise AssertionError("the landscape jobs did not finish in time")


def why_page(tab: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("pages/why_it_works.py")
    if tab:
        at.query_params["tab"] = tab  # the tab is part of the URL; only the open tab computes
    at.run()
    assert not at.exception, at.exception
    return at


def your_data_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("pages/your_data.py")
    at.run()
    assert not at.exception, at.exception
    return at


def wait_for_widget(at: AppTest, key: str, timeout: float = 600) -> None:
    """Rerun the page every 2 s until a selectbox with ``key`` appears (a background job has finished)."""
    from tests.helpers import _texts

    deadline = time.time() + timeout
    while not any(s.key == key for s in at.selectbox):
        assert time.time() < deadline, _texts(at)
        time.sleep(2)
        at.run()
    assert not at.exception, at.exception
