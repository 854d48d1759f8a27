"""The image commands (``explain``, ``classify``, ...): files written and one-line errors."""

from __future__ import annotations

import json

import numpy as np

from tests.conftest import run_cli


def test_cli_explain_writes_overlay_and_raw_map(tmp_path):
    from PIL import Image
    from skimage.data import chelsea

    Image.fromarray(chelsea()).save(tmp_path / "cat.png")
    r = run_cli("explain", str(tmp_path / "cat.png"), "--model", "resnet20", "--weights", "random", "--method",
                "gradcam", "--out", str(tmp_path / "o.png"), "--npy", str(tmp_path / "m.npy"), "--target", "cat",
                "--layer", "layer3.0")
    assert r.returncode == 0, r.stderr
    assert "for class 'cat' (index 3) at layer3.0" in r.stdout
    m = np.load(tmp_path / "m.npy")
    assert m.shape == (32, 32) and m.dtype == np.float32
    assert Image.open(tmp_path / "o.png").size == (224, 224)
    r = run_cli("explain", str(tmp_path / "cat.png"), "--model", "resnet20", "--weights", "random", "--out",
                str(tmp_path / "o.png"), "--target", "kitten")
    assert r.returncode == 2 and "unknown class 'kitten'" in r.stderr
    assert json.loads(run_cli("classify", str(tmp_path / "cat.png"), "--model", "resnet20", "--weights", "random",
                              "--json").stdout)
