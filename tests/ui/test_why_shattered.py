"""The shattered-gradients tab: at initialisation, on trained twins, from a shared link."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptests import APP, shipped_pairs, why_page
from tests.helpers import _texts

pytestmark = pytest.mark.usefixtures('only_shipped_runs')


def test_shattered_tab_at_initialisation():
    at = why_page("Shattered gradients")
    at.select_slider(key="sh_depth").set_value(20).run()
    at.select_slider(key="sh_n").set_value(64).run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "At 20 layers, gradients at neighbouring points of the line correlate" in text
    assert "on a line of 64 points" in text
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    names = {t.get("name") for f in figs for t in f["data"]}
    assert {"Plain-20", "ResNet-20"} <= names
    # the shipped depth study is drawn and described
    from resnet_viz.runs.twins import shipped_study

    study = shipped_study("shattered-init")
    if study:
        assert study["text"].split(". ")[0] in text
    # the same image at both ends is refused with a message, not a crash
    at.selectbox(key="sh_b").set_value(at.selectbox(key="sh_a").value).run()
    assert not at.exception
    assert any("Pick two different images" in w.value for w in at.warning)


def test_shattered_tab_on_trained_twins():
    if not shipped_pairs():
        pytest.skip("no shipped twins in assets/runs")
    at = why_page("Shattered gradients")
    at.radio(key="sh_weights").set_value("trained").run()
    at.select_slider(key="sh_n").set_value(64).run()
    assert not at.exception, at.exception
    assert "Numbers for trained weights, on a line of 64 points." in _texts(at)


def test_a_shared_link_opens_the_shattered_tab_settings():
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("pages/why_it_works.py")
    at.query_params.update({"tab": "Shattered gradients", "sh_depth": "20", "sh_n": "64"})
    at.run()
    assert not at.exception, at.exception
    assert at.select_slider(key="sh_depth").value == 20 and at.select_slider(key="sh_n").value == 64
    assert "At 20 layers, gradients at neighbouring points of the line correlate" in _texts(at)
