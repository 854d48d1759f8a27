"""The loss-landscape tab: a background computation shown when done."""

from __future__ import annotations

import json

import pytest

from tests.apptests import compute_now
from tests.helpers import _texts

pytestmark = pytest.mark.usefixtures('only_shipped_runs')


def test_landscape_tab_computes_in_the_background(cifar_jpg):
    at = compute_now("Loss landscape", "land", cifar_jpg, {"land_steps": 5, "land_images": 32}, "land_run")
    text = _texts(at)
    assert "At the model's own weights (the centre) the loss is" in text
    assert "5 points per axis in [-1, 1], 32 training images" in text
    assert "Command: `python -m resnet_viz landscape --data=" in text and "--model plain56" in text
    assert "--out" not in text and "--progress-file" not in text
    fig = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "land_plot" in c.proto.id)
    contours = [t for t in fig["data"] if t["type"] == "contour"]
    shape = lambda z: z["shape"].replace(" ", "") if isinstance(z, dict) else f"{len(z)},{len(z[0])}"  # noqa: E731
    assert len(contours) == 2 and all(shape(t["z"]) == "5,5" for t in contours)
    at.radio(key="land_view").set_value("3-D surface").run()
    fig = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "land_plot" in c.proto.id)
    assert [t["type"] for t in fig["data"]] == ["surface", "surface"]
