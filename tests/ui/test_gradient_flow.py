"""The Gradient flow page: depth, normalisation, batch sources, the training heatmap."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptests import APP, png_of
from tests.helpers import _texts

pytestmark = pytest.mark.usefixtures('clear_streamlit_caches')


def test_gradient_flow_page_follows_depth_and_normalisation(at):
    at.switch_page("pages/gradient_flow.py").run()
    assert not at.exception, at.exception
    first = at.info[0].value
    assert first.startswith("The first conv layer of Plain-56 receives") and "explodes towards the input" in first
    assert len(at.get("plotly_chart")) >= 3  # layers, blocks, depth sweep
    sweep = at.dataframe[0].value
    assert list(sweep["depth"]) == [20, 32, 44, 56, 110]
    assert (sweep["plain ratio"] > sweep["ResNet ratio"]).all()
    assert "From 20 to 110 layers the plain net's first/last ratio" in _texts(at)

    at.toggle(key="sweep").set_value(False).run()
    at.select_slider(key="depth").set_value(20).run()
    assert not at.exception
    text20 = at.info[0].value
    assert "Plain-20" in text20 and "ResNet-20" in text20 and text20 != first

    at.toggle(key="bn").set_value(False).run()
    assert not at.exception
    text_none = at.info[0].value
    assert text_none != text20 and "Plain-20" in text_none
    assert "shrinks towards the input" in text_none  # measured: plain-20 without BN, ratio ~0.07

    at.selectbox(key="source").set_value("images").run()
    assert "Upload one or more images" in _texts(at)

    at.selectbox(key="source").set_value("noise").run()
    at.radio(key="family").set_value("imagenet").run()
    assert not at.exception
    assert "Plain-34" in at.info[0].value and "ResNet-34" in at.info[0].value


def test_gradient_flow_training_heatmap(at):
    at.switch_page("pages/gradient_flow.py").run()
    at.toggle(key="sweep").set_value(False).run()
    at.select_slider(key="depth").set_value(20).run()
    at.select_slider(key="steps").set_value(10).run()
    at.button(key="run_train").click().run()
    assert not at.exception, at.exception
    assert "After 10 steps the training loss of Plain-20 went from" in _texts(at)


def test_gradient_flow_batch_sources_offline_and_uploads():
    import numpy as np

    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/gradient_flow.py").run()
    at.toggle(key="sweep").set_value(False).run()
    at.select_slider(key="depth").set_value(20).run()
    at.selectbox(key="source").set_value("cifar10").run()
    assert not at.exception
    assert any("CIFAR-10 is not available" in w.value and "imagefolder:PATH" in w.value for w in at.warning)
    at.selectbox(key="source").set_value("images").run()
    rng = np.random.default_rng(0)
    at.file_uploader(key="images").upload("a.png", png_of(rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)),
                                          "image/png").run()
    assert not at.exception
    assert at.info[0].value.startswith("The first conv layer of Plain-20 receives")
    at.file_uploader(key="images").upload("bad.png", b"not an image", "image/png").run()
    assert any("bad.png" in w.value for w in at.warning) and not at.exception
