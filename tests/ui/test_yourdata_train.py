"""Your data training: transfer without cached weights, and a linear probe with them."""

from __future__ import annotations

import pytest

from tests.apptests import wait_for_widget, your_data_page
from tests.helpers import _texts

pytestmark = pytest.mark.usefixtures('own_run_store')


def test_transfer_without_cached_weights_says_what_to_download_and_keeps_scratch_available():
    at = your_data_page()
    at.radio(key="yd_approach").set_value("transfer learning (ImageNet ResNet)").run()
    warning = " ".join(w.value for w in at.warning)
    assert "resnet18-f37072fd.pth" in warning and "train from scratch" in warning
    assert at.button(key="yd_train").disabled
    at.radio(key="yd_approach").set_value("from scratch (CIFAR-style twins, 32x32)").run()
    assert not at.button(key="yd_train").disabled


def test_transfer_linear_probe_trains_from_cached_imagenet_weights(imagenet_resnet18):
    at = your_data_page()
    at.radio(key="yd_approach").set_value("transfer learning (ImageNet ResNet)").run()
    assert not at.button(key="yd_train").disabled and not at.warning
    at.radio(key="yd_method").set_value("linear probe (frozen)").run()
    at.selectbox(key="yd_size").set_value(64).run()
    at.number_input(key="yd_epochs").set_value(1).run()
    assert "ResNet-18 from ImageNet weights, a linear probe" in _texts(at)
    at.button(key="yd_train").click().run()
    wait_for_widget(at, "yd_result")
    assert "linear probe on ImageNet features" in at.selectbox(key="yd_result").options[0]
    text = _texts(at)
    assert "ResNet-18 classifies" in text and "Plain-18 classifies" in text
