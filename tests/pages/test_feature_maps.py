"""The Feature maps page: changes with layer, channel and image."""

from __future__ import annotations

import pytest

from tests.apptests import page_with_reference, png_of

pytestmark = pytest.mark.usefixtures('clear_streamlit_caches')


def test_feature_maps_page_changes_with_layer_channel_and_image(reference_dir):
    import numpy as np

    at = page_with_reference("pages/feature_maps.py", "fm_pair")
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
    at.file_uploader(key="fm_upload").upload("flat.png", png_of(np.zeros((40, 40, 3), np.uint8)), "image/png").run()
    assert not at.exception and not at.error
    assert at.info[0].value.startswith("At layer3.2")
