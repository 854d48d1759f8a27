"""The Inside a block page: small residuals of a trained ResNet."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    import streamlit as st

    st.cache_data.clear()
    yield


@pytest.fixture
def at() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _page_with_reference(page: str, pair_key: str) -> AppTest:
    """A page with the reference ResNet-20 checkpoint picked (tests that compare with measured numbers)."""
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    _pick(at, pair_key, "CIFAR-10 ResNet-20 (reference checkpoint")
    return at


def _pick(at: AppTest, key: str, prefix: str) -> None:
    """Select the first option of a selectbox that starts with ``prefix``."""
    box = at.selectbox(key=key)
    box.set_value(next(o for o in box.options if o.startswith(prefix))).run()
    assert not at.exception, at.exception


def test_block_anatomy_page_reports_small_residuals_of_a_trained_resnet(reference_dir):
    at = _page_with_reference("pages/block_anatomy.py", "ba_pair")
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
