"""The Feature maps page: changes with layer, channel and image."""

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


def _png(arr) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def test_feature_maps_page_changes_with_layer_channel_and_image(reference_dir):
    import numpy as np

    at = _page_with_reference("pages/feature_maps.py", "fm_pair")
    first = at.info[0].value
    assert first.startswith("At layer2.0 each net has 32 channels of 16x16 (the input was 32x32 pixels)")
    assert "32x32 to 8x8 positions while the channels grow from 16 to 64" in at.info[1].value

    at.selectbox(key="fm_layer").set_value("layer3.2").run()
    assert at.info[0].value.startswith("At layer3.2 each net has 64 channels of 8x8")
    at.select_slider(key="fm_k").set_value(4).run()
    at.radio(key="fm_rank").set_value("choose").run()
    at.multiselect(key="fm_channels").set_value([5, 7]).run()
    assert at.selectbox(key="fm_detail").options == ["5", "7"]
    assert not at.exception

    at.selectbox(key="fm_sample").set_value("rocket").run()
    assert at.info[0].value != first and not at.exception

    at.radio(key="fm_source").set_value("upload").run()
    at.file_uploader(key="fm_upload").upload("broken.jpg", b"\xff\xd8\xff\xe0 truncated", "image/jpeg").run()
    assert any("broken.jpg" in e.value and "not a readable image" in e.value for e in at.error)
    at.file_uploader(key="fm_upload").upload("flat.png", _png(np.zeros((40, 40, 3), np.uint8)), "image/png").run()
    assert not at.exception and not at.error
    assert at.info[0].value.startswith("At layer3.2")
