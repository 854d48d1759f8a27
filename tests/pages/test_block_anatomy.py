"""The Inside a block page: small residuals of a trained ResNet."""

from __future__ import annotations

import pytest

from tests.apptests import page_with_reference

pytestmark = pytest.mark.usefixtures('clear_streamlit_caches')


def test_block_anatomy_page_reports_small_residuals_of_a_trained_resnet(reference_dir):
    at = page_with_reference("pages/block_anatomy.py", "ba_pair")
    text = at.info[0].value
    assert "the residual branch F(x) is smaller than the shortcut x in" in text
    assert "median ||F(x)||/||x|| = 0." in text  # measured on the cat: 0.62
    at.selectbox(key="ba_block").set_value("layer3.0").run()
    at.number_input(key="ba_ch_resnet20").set_value(5).run()
    assert not at.exception
    assert "ResNet-20 layer3.0, channel 5" in at.get("plotly_chart")[2].proto.spec

    pair = next(o for o in at.selectbox(key="ba_pair").options if "untrained" in o)
    at.selectbox(key="ba_pair").set_value(pair).run()
    assert not at.exception
    assert "Plain-20, which has no shortcut" in at.info[0].value
