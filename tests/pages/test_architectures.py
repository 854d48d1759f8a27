"""The Architectures page: block diagrams, takeaway, the zoo table."""

from __future__ import annotations

import pytest

from tests.helpers import _texts

pytestmark = pytest.mark.usefixtures('clear_streamlit_caches')


def test_architectures_page_block_diagrams_and_takeaway(at):
    at.switch_page("pages/architectures.py").run()
    assert not at.exception, at.exception
    assert "What is a residual block made of" in _texts(at)
    charts = at.get("graphviz_chart")
    assert len(charts) == 2
    res_dot, plain_dot = (c.proto.spec for c in charts)
    assert '"+"' in res_dot and '"+"' not in plain_dot
    assert "0 params" in res_dot and "4,608 params" in res_dot  # 3x3 conv 16->32: 16*32*9
    info = at.info[0].value
    assert "exactly as many as plain20 (269,722)" in info

    at.radio(key="shortcut").set_value("B").run()
    info = at.info[0].value
    assert "resnet20 has 272,474 parameters and plain20 269,722" in info and "2 projection shortcuts" in info
    spec = at.get("graphviz_chart")[0].proto.spec
    assert "1x1 conv, stride 2 + BN" in spec and "576 params" in spec

    at.selectbox(key="block").set_value("ImageNet bottleneck (ResNet-50/101/152)").run()
    assert not at.exception
    assert "resnet50 has 25,557,032 parameters and plain50 22,780,456" in at.info[0].value
    assert "conv3" in at.get("graphviz_chart")[0].proto.spec

    at.selectbox(key="position").set_value("second block of stage 2 (same shape in and out)").run()
    assert "identity x\\n(0 params)" in at.get("graphviz_chart")[0].proto.spec
    assert "no shortcut" in at.get("graphviz_chart")[1].proto.spec


def test_architectures_zoo_table_filters_and_sorts(at):
    at.switch_page("pages/architectures.py").run()
    df = at.dataframe[0].value
    assert len(df) == 28
    r50 = df[df["name"] == "resnet50"].iloc[0]
    assert r50["params"] == 25_557_032 and abs(r50["gflops"] - 8.18) < 0.005
    at.multiselect(key="families").set_value(["imagenet"]).run()
    df = at.dataframe[0].value
    assert set(df["family"]) == {"imagenet"} and len(df) == 10
    assert "differ only by the projection shortcuts" in _texts(at)
    assert at.get("plotly_chart")
