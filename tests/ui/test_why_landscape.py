"""The loss-landscape tab: a background computation shown when done."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.helpers import _texts

APP = str(ROOT / "app.py")


@pytest.fixture(autouse=True)
def _only_shipped_runs(tmp_path, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path / "runs"))  # no local runs: only what ships
    st.cache_data.clear()
    yield


def _why(tab: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("pages/why_it_works.py")
    if tab:
        at.query_params["tab"] = tab  # the tab is part of the URL; only the open tab computes
    at.run()
    assert not at.exception, at.exception
    return at


def _folder(at: AppTest, key: str, path) -> None:
    at.selectbox(key=key).set_value("a folder on this server...").run()
    at.text_input(key=f"{key}_folder").set_value(str(path)).run()


def _compute_now(tab: str | None, prefix: str, folder, sliders: dict, button: str, timeout: float = 240) -> AppTest:
    """Open a tab, switch it to "compute now" on ``folder``, set the sliders, start the background jobs,
    wait for them and draw the page again."""
    if not _shipped_pairs():
        pytest.skip("no shipped twins in assets/runs")
    at = _why(tab)
    if "stored results" in at.radio(key=f"{prefix}_mode").options:
        at.radio(key=f"{prefix}_mode").set_value("compute now").run()
    _folder(at, f"{prefix}_data", folder)
    for key, value in sliders.items():
        at.select_slider(key=key).set_value(value).run()
    at.button(key=button).click().run()
    assert not at.exception, at.exception
    _wait_for_probes(timeout)
    at.run()
    assert not at.exception, at.exception
    return at


def _shipped_pairs() -> list[str]:
    from resnet_viz.runs.twins import twin_pairs

    return [p.label() for p in twin_pairs() if p.shipped]


def _wait_for_probes(timeout: float = 240) -> None:
    import time

    from resnet_viz.training.jobs import probe_root, probe_state

    t0 = time.time()
    while time.time() - t0 < timeout:
        keys = [p.name.removesuffix(".progress.json") for p in probe_root().glob("*.progress.json")]
        if keys and all(probe_state(k)["state"] in ("finished", "failed") for k in keys):
            return
        time.sleep(1)
    raise AssertionError("the landscape jobs did not finish in time")


def test_landscape_tab_computes_in_the_background(cifar_jpg):
    at = _compute_now("Loss landscape", "land", cifar_jpg, {"land_steps": 5, "land_images": 32}, "land_run")
    text = _texts(at)
    assert "At the model's own weights (the centre) the loss is" in text
    assert "5 points per axis in [-1, 1], 32 training images" in text
    assert "Command: `python -m resnet_viz landscape --data=" in text and "--model plain56" in text
    assert "--out" not in text and "--progress-file" not in text
    fig = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "land_plot" in c.proto.id)
    contours = [t for t in fig["data"] if t["type"] == "contour"]
    shape = lambda z: z["shape"].replace(" ", "") if isinstance(z, dict) else f"{len(z)},{len(z[0])}"  # noqa: E731
    assert len(contours) == 2 and all(shape(t["z"]) == "5,5" for t in contours)
    at.radio(key="land_view").set_value("3-D surface").run()
    fig = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "land_plot" in c.proto.id)
    assert [t["type"] for t in fig["data"]] == ["surface", "surface"]
