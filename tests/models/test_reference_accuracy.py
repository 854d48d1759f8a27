"""The CIFAR architecture is exactly the paper's: the independent reference checkpoints reproduce
their measured accuracy on the shared JPEG CIFAR-10 test set through the CLI (../shared/data/README.md)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

# top-1 accuracy on cifar10-jpg/test, 10,000 images (shared/data/README.md); tolerance +-0.1 %
EXPECTED = {"resnet20": ("resnet20-12fca82f.th", 0.8103), "resnet56": ("resnet56-4bfd9763.th", 0.8320)}


# ResNet-20 in every run; ResNet-56 (the same code at depth, ~80 s on a slow CPU) with the slow tests
@pytest.mark.parametrize("arch", ["resnet20", pytest.param("resnet56", marks=pytest.mark.slow)])
def test_reference_checkpoint_accuracy_through_cli(arch, reference_dir, cifar_jpg):
    fname, expected = EXPECTED[arch]
    r = run_cli("evaluate", "--model", arch, "--weights", str(reference_dir / fname),
                "--data", f"imagefolder:{cifar_jpg}", "--split", "test", "--json", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["n"] == 10_000
    assert res["accuracy"] == pytest.approx(expected, abs=0.001)
    assert set(res["per_class"]) == {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                                     "ship", "truck"}
    assert "evaluate" in r.stderr  # the progress bar went to stderr
