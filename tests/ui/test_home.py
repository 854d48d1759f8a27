"""Home: the story, the machine's status and the weights it has."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptests import APP
from tests.helpers import _texts

pytestmark = pytest.mark.usefixtures('clear_streamlit_caches')


def _home_with_machine(at: AppTest) -> AppTest:
    """Home draws its machine and weights sections once the server's start-up thread has imported torch (the
    first run of a fresh process says it is checking): wait for that, then run again."""
    from resnet_viz.ui.common import torch_ready

    if not torch_ready():
        assert "the server is loading PyTorch" in _texts(at)
        assert not at.metric and not at.dataframe
        torch_ready(None)
        at.run()
    assert not at.exception, at.exception
    return at


def test_home_tells_the_story_and_machine_status(at):
    at = _home_with_machine(at)
    text = _texts(at)
    assert "H(x) = F(x) + x" in text
    assert "ResNet-56 has 853,018 parameters and its plain twin Plain-56 has 853,018: exactly the same" in text
    assert at.title[0].value.startswith("resnet-viz")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Network"] == "offline" and metrics["Models registered"] == "28"
    assert metrics["Compute"].startswith(("CPU", "CUDA", "Apple"))
    df = at.dataframe[0].value
    assert {"resnet20", "resnet56", "resnet50"} <= set(df["model"])
    # tests run with an empty torch cache: only what ships is available, and the page says where files go
    shipped = df["weights"].str.contains("shipped")
    assert df[shipped]["available"].all() and not df[~shipped]["available"].any()
    assert "offline" in text and "RESNET_VIZ_WEIGHTS_DIRS" in text


def test_home_lists_reference_weights_when_present(reference_dir):
    at = _home_with_machine(AppTest.from_file(APP, default_timeout=120).run())
    df = at.dataframe[0].value
    avail = dict(zip(df["model"] + " " + df["weights"], df["available"]))
    assert avail["resnet20 reference CIFAR-10 (Idelbayev 2018)"]
    assert not avail["resnet50 torchvision ImageNet (IMAGENET1K_V2)"]
