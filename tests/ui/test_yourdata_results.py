"""Your data results: both twins trained on the example, then classified with its class names."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.helpers import _texts

APP = str(ROOT / "app.py")


@pytest.fixture(autouse=True)
def _own_run_store(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path / "shared-runs"))


def _your_data() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("pages/your_data.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_example_data_trains_both_twins_and_the_pair_classifies_with_its_class_names():
    at = _your_data()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Images"] == "600" and metrics["Classes"] == "3" and metrics["Train / test"] == "480 / 120"
    assert len(at.get("image")) == 3, "one row of thumbnails per class"
    at.number_input(key="yd_epochs").set_value(3).run()
    at.button(key="yd_train").click().run()
    assert not at.exception, at.exception
    deadline = time.time() + 600
    while not any(s.key == "yd_result" for s in at.selectbox):
        assert time.time() < deadline, _texts(at)
        time.sleep(2)
        at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "ResNet-20 classifies" in text and "of the 120 held-out images correctly" in text
    assert "Plain-20 classifies" in text
    charts = at.get("plotly_chart")
    assert len(charts) >= 3  # class counts, confusion matrices, per-class accuracy
    assert any("Download this pair" in b.proto.label for b in at.get("download_button"))
    # the finished pair is offered on the image pages, with the user's class names
    at.switch_page("pages/classify_explain.py").run()
    pair = next(o for o in at.selectbox(key="ce_pair").options if o.startswith("Your data "))
    at.selectbox(key="ce_pair").set_value(pair).run()
    assert not at.exception, at.exception
    said = " ".join(i.value for i in at.info)
    assert "ResNet-20 says" in said and any(c in said for c in ("circle", "square", "triangle")), said
