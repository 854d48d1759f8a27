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


