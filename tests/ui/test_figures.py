"""Presenter mode and the exports under every figure."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptests import APP

pytestmark = pytest.mark.usefixtures('only_shipped_runs')


def test_presenter_mode_enlarges_figures_and_every_figure_has_exports():
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("pages/gradient_flow.py")
    at.query_params.update({"depth": "20", "sweep": "false"})
    at.run()
    normal = json.loads(at.get("plotly_chart")[0].proto.spec)
    labels = [b.proto.label for b in at.get("download_button")]
    n_figs = len(at.get("plotly_chart"))
    assert labels.count("Interactive HTML") == n_figs and labels.count("Data (CSV)") == n_figs
    assert len(at.session_state["_figures"]) == n_figs  # what the sidebar's lesson pack zips
    at.session_state["presenter"] = True  # the sidebar toggle (also ?presenter=true in a link)
    at.run()
    assert not at.exception, at.exception
    big = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert big["layout"]["font"]["size"] > normal["layout"]["font"]["size"]
    assert big["data"][0]["line"]["width"] > normal["data"][0]["line"]["width"]
    assert big["data"][0]["line"]["color"] == normal["data"][0]["line"]["color"]  # same two colours
