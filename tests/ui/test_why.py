"""Why it works, shared parts: refused folders and failed jobs shown as messages."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

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


def test_lesion_tab_refuses_a_folder_without_test_images(tmp_path):
    if not _shipped_pairs():
        pytest.skip("no shipped twins in assets/runs")
    at = _why()
    if "stored results" in at.radio(key="lesion_mode").options:
        at.radio(key="lesion_mode").set_value("compute now").run()
    _folder(at, "lesion_data", tmp_path / "nothing-here")
    assert not at.exception, at.exception
    assert any("has no `test/` sub-folder" in w.value for w in at.warning)
    assert not [b for b in at.button if b.key == "lesion_run"]  # nothing to start


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


def test_landscape_job_failure_is_reported_not_raised(tmp_path):
    """A folder whose classes are not the nets' classes: the job fails and the page says why."""
    from PIL import Image

    for cls in ("cats", "dogs"):
        (tmp_path / "train" / cls).mkdir(parents=True)
        Image.new("RGB", (32, 32), (120, 30, 30)).save(tmp_path / "train" / cls / "a.png")
    at = _compute_now("Loss landscape", "land", tmp_path, {"land_steps": 5}, "land_run", timeout=120)
    warnings = " ".join(w.value for w in at.warning)
    assert "the data set has 2 classes but" in warnings and "predicts 10" in warnings
