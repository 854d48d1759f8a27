"""The lesion tab: stored results of the shipped twins and a background computation."""

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


def test_lesion_tab_shows_the_stored_results_of_the_shipped_twins():
    from resnet_viz.lessons.lesion import lesion_stats
    from resnet_viz.probes.lesion import LesionResult
    from resnet_viz.runs.twins import stored, twin_pairs

    pairs = [p for p in twin_pairs() if p.shipped and all(stored(r, "lesion") for r in p.runs.values())]
    if not pairs:
        pytest.skip("no shipped twins with lesion.json (bash scripts/precompute_why.sh)")
    at = _why()
    pair = pairs[0]
    assert at.selectbox(key="lesion_pair").value == pair.label()
    assert at.radio(key="lesion_mode").value == "stored results"
    res = LesionResult.from_json(stored(pair.resnet, "lesion"))
    s = lesion_stats(res)
    text = _texts(at)
    from resnet_viz.lessons.lesion import rise_text as _rise

    assert (f"Removing one block of the ResNet (resnet{pair.depth}, {100 * s['intact']:.1f} % error intact) "
            f"{_rise(s['median_rise'])}") in text
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    by_name = {t["name"]: t for t in fig["data"]}
    line = by_name[f"ResNet-{pair.depth}: one block removed"]
    assert line["x"] == [b.name for b in res.blocks]
    assert line["y"] == pytest.approx([100 * b.error for b in res.blocks])
    plain = by_name[f"Plain-{pair.depth}: one block removed"]
    assert [y is None for y in plain["y"]] == [b.downsampling for b in res.blocks]  # cannot remove


@pytest.mark.slow
def test_lesion_tab_computes_on_a_test_subset_in_the_background(cifar_jpg):
    at = _compute_now(None, "lesion", cifar_jpg, {"lesion_n": 100}, "lesion_run")
    text = _texts(at)
    assert "Removing one block of the ResNet (" in text and "Removing one block of the plain net (" in text
    assert "Measured on 100 class-balanced test images" in text
    assert any("lesion_plot" in c.proto.id for c in at.get("plotly_chart"))


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
