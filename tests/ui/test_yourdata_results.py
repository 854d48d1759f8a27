"""Your data results: both twins trained on the example, then classified with its class names."""

from __future__ import annotations

import pytest

from tests.apptests import wait_for_widget, your_data_page
from tests.helpers import _texts

pytestmark = pytest.mark.usefixtures('own_run_store')


@pytest.mark.usefixtures("student_server")
def test_example_data_trains_both_twins_and_the_pair_classifies_with_its_class_names():
    """As a student on a classroom server: training a pair in one's own session is allowed, saving it into the
    shared run store is not."""
    at = your_data_page()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Images"] == "600" and metrics["Classes"] == "3" and metrics["Train / test"] == "480 / 120"
    assert len(at.get("image")) == 3, "one row of thumbnails per class"
    at.number_input(key="yd_epochs").set_value(3).run()
    at.button(key="yd_train").click().run()
    assert not at.exception, at.exception
    wait_for_widget(at, "yd_result")
    text = _texts(at)
    assert "ResNet-20 classifies" in text and "of the 120 held-out images correctly" in text
    assert "Plain-20 classifies" in text
    charts = at.get("plotly_chart")
    assert len(charts) >= 3  # class counts, confusion matrices, per-class accuracy
    assert any("Download this pair" in b.proto.label for b in at.get("download_button"))
    assert "**Saving into the shared run store** is a teacher action" in " ".join(i.value for i in at.info)
    assert not [b for b in at.button if b.key == "yd_save"]
    # the finished pair is offered on the image pages, with the user's class names
    at.switch_page("pages/classify_explain.py").run()
    pair = next(o for o in at.selectbox(key="ce_pair").options if o.startswith("Your data "))
    at.selectbox(key="ce_pair").set_value(pair).run()
    assert not at.exception, at.exception
    said = " ".join(i.value for i in at.info)
    assert "ResNet-20 says" in said and any(c in said for c in ("circle", "square", "triangle")), said
