"""The Classify and explain page: top-5, Grad-CAM and the other methods, downloads."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptests import APP, pick_option, png_of

pytestmark = pytest.mark.usefixtures('clear_streamlit_caches')


def test_classify_and_explain_page(reference_dir, tmp_path):
    import numpy as np
    import torch

    from resnet_viz.models.registry import build_model

    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/classify_explain.py").run()
    assert not at.exception, at.exception
    pick_option(at, "ce_pair", "CIFAR-10 ResNet-20 (reference checkpoint")
    assert at.info[0].value.startswith("ResNet-20 says **cat**")  # skimage's chelsea
    assert len(at.get("plotly_chart")) == 2  # top-5 bars, Grad-CAM overlay

    for method in ("Saliency", "Occlusion", "Integrated Gradients", "Guided Grad-CAM"):
        at.selectbox(key="ce_method").set_value(
            {"Saliency": "saliency", "Occlusion": "occlusion", "Integrated Gradients": "ig",
             "Guided Grad-CAM": "guided-gradcam"}[method]).run()
        assert not at.exception, (method, at.exception)
        assert method in at.get("plotly_chart")[1].proto.spec
    at.selectbox(key="ce_method").set_value("gradcam").run()
    at.selectbox(key="ce_layer").set_value("layer2.0").run()
    at.selectbox(key="ce_target").set_value("another class...").run()
    at.selectbox(key="ce_target_any").set_value("ship").run()
    assert "for 'ship'" in at.get("plotly_chart")[1].proto.spec and not at.exception

    # malformed uploads: a message, never a traceback; a good upload works
    at.radio(key="ce_source").set_value("upload").run()
    for name, data in [("empty.png", b""), ("virus.jpg", b"MZ\x90\x00" + bytes(300)), ("notes.txt.png", b"hello")]:
        at.file_uploader(key="ce_upload").upload(name, data, "image/png").run()
        assert not at.exception and any(name in e.value for e in at.error), name
    at.file_uploader(key="ce_upload").upload("black.png", png_of(np.zeros((50, 50, 3), np.uint8)), "image/png").run()
    assert not at.exception and not at.error and at.info[0].value.startswith("ResNet-20 says")

    # a user checkpoint for another architecture: one clear message; a right one is used (session only)
    torch.save(build_model("resnet56").state_dict(), tmp_path / "r56.pt")
    at.file_uploader(key="ce_ckpt").upload("r56.pt", (tmp_path / "r56.pt").read_bytes(), "application/octet-stream")
    at.run()
    assert any("does not fit resnet20" in e.value for e in at.error)
    at.selectbox(key="ce_arch").set_value("resnet56").run()
    assert any("Using r56.pt as resnet56" in s.value for s in at.success)
    assert at.info[0].value.startswith("ResNet-56 says")
