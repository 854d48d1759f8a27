"""The model-pair picker: the shipped twins are the default pair offline."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptests import APP

pytestmark = pytest.mark.usefixtures('clear_streamlit_caches')


def test_shipped_twins_are_the_default_pair_offline():
    from resnet_viz.models.weights import shipped_path

    if shipped_path("resnet20") is None or shipped_path("plain20") is None:
        pytest.skip("assets/runs holds no shipped ResNet-20/Plain-20 runs")
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/classify_explain.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="ce_pair").value == "CIFAR-10 ResNet-20 vs Plain-20 (trained by resnet-viz)"
    text = at.info[0].value
    assert text.startswith("ResNet-20 says **cat**") and "Plain-20 says" in text  # skimage's chelsea
    assert "overlap by" in at.info[1].value
