"""The lesion tab: stored results of the shipped twins and a background computation."""

from __future__ import annotations

import json

import pytest

from tests.apptests import compute_now, why_page
from tests.helpers import _texts

pytestmark = pytest.mark.usefixtures('only_shipped_runs')


def test_lesion_tab_shows_the_stored_results_of_the_shipped_twins():
    from resnet_viz.lessons.lesion import lesion_stats
    from resnet_viz.probes.lesion import LesionResult
    from resnet_viz.runs.twins import stored, twin_pairs

    pairs = [p for p in twin_pairs() if p.shipped and all(stored(r, "lesion") for r in p.runs.values())]
    if not pairs:
        pytest.skip("no shipped twins with lesion.json (bash scripts/precompute_why.sh)")
    at = why_page()
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
    at = compute_now(None, "lesion", cifar_jpg, {"lesion_n": 100}, "lesion_run")
    text = _texts(at)
    assert "Removing one block of the ResNet (" in text and "Removing one block of the plain net (" in text
    assert "Measured on 100 class-balanced test images" in text
    assert any("lesion_plot" in c.proto.id for c in at.get("plotly_chart"))




def _finished_lesion_script():
    """compute_lesions of the first shipped pair, its jobs faked as finished with the pair's stored results."""
    import streamlit as st

    from resnet_viz.runs.twins import twin_pairs
    from resnet_viz.ui.why_lesion import compute_lesions

    pair = next(p for p in twin_pairs() if p.shipped)
    st.write(f"results: {sorted(compute_lesions(pair))}")


@pytest.mark.parametrize("teacher", [False, True])
def test_only_the_teacher_keeps_a_finished_lesion_study_in_the_shared_store(monkeypatch, tmp_path, teacher):
    """Everyone sees the results of a finished job, but a student's page never writes them into the run store."""
    from streamlit.testing.v1 import AppTest

    from resnet_viz.runs.twins import stored, twin_pairs
    from resnet_viz.ui import why_lesion

    pair = next((p for p in twin_pairs() if p.shipped and all(stored(r, "lesion") for r in p.runs.values())), None)
    if pair is None:
        pytest.skip("no shipped twins with lesion.json (bash scripts/precompute_why.sh)")
    files = {}
    for run in pair.runs.values():
        files[run.name] = tmp_path / f"{run.name}.json"
        files[run.name].write_text(json.dumps(stored(run, "lesion")))
    writes = []
    monkeypatch.setattr(why_lesion, "is_teacher", lambda: teacher)
    monkeypatch.setattr(why_lesion, "probe_panel", lambda kind, keys: True)
    monkeypatch.setattr(why_lesion, "probe_key", lambda kind, run, settings: run.name)
    monkeypatch.setattr(why_lesion, "probe_paths", lambda key: (files[key], None))
    monkeypatch.setattr(why_lesion, "stored", lambda run, kind: None)  # as if the store had no result yet
    monkeypatch.setattr(why_lesion, "store", lambda run, kind, data: writes.append(run.name))
    monkeypatch.setattr(why_lesion, "start_button", lambda *a, **k: None)
    monkeypatch.setattr(why_lesion, "data_choice", lambda col, pair, key, split: why_lesion.data_for(pair.resnet))
    at = AppTest.from_function(_finished_lesion_script, default_timeout=60)
    at.session_state["lesion_n"] = 1000  # the settings a stored result needs
    at.run()
    assert not at.exception, at.exception
    assert f"results: {sorted(pair.runs)}" in _texts(at)  # shown to everyone
    assert sorted(writes) == (sorted(r.name for r in pair.runs.values()) if teacher else [])
