"""Your data training: transfer without cached weights, and a linear probe with them."""

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


def test_transfer_without_cached_weights_says_what_to_download_and_keeps_scratch_available():
    at = _your_data()
    at.radio(key="yd_approach").set_value("transfer learning (ImageNet ResNet)").run()
    warning = " ".join(w.value for w in at.warning)
    assert "resnet18-f37072fd.pth" in warning and "train from scratch" in warning
    assert at.button(key="yd_train").disabled
    at.radio(key="yd_approach").set_value("from scratch (CIFAR-style twins, 32x32)").run()
    assert not at.button(key="yd_train").disabled


def test_transfer_linear_probe_trains_from_cached_imagenet_weights(imagenet_resnet18):
    at = _your_data()
    at.radio(key="yd_approach").set_value("transfer learning (ImageNet ResNet)").run()
    assert not at.button(key="yd_train").disabled and not at.warning
    at.radio(key="yd_method").set_value("linear probe (frozen)").run()
    at.selectbox(key="yd_size").set_value(64).run()
    at.number_input(key="yd_epochs").set_value(1).run()
    assert "ResNet-18 from ImageNet weights, a linear probe" in _texts(at)
    at.button(key="yd_train").click().run()
    deadline = time.time() + 600
    while not any(s.key == "yd_result" for s in at.selectbox):
        assert time.time() < deadline, _texts(at)
        time.sleep(2)
        at.run()
    assert not at.exception, at.exception
    assert "linear probe on ImageNet features" in at.selectbox(key="yd_result").options[0]
    text = _texts(at)
    assert "ResNet-18 classifies" in text and "Plain-18 classifies" in text
