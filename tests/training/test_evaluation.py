"""``resnet_viz.training.evaluation``: loss and error of a model on in-memory images (in batches, in eval mode),
and ``evaluation.json`` with the most confidently wrong images that a run folder keeps."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from resnet_viz.training.evaluation import WRONG_KEPT, evaluate_arrays, save_evaluation

OFF = torch.autocast("cpu", enabled=False)  # what the engine passes on the CPU


def prep(x: torch.Tensor) -> torch.Tensor:
    return x.float() / 255


@pytest.fixture
def tiny() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A 3-class linear model with dropout (eval mode matters) and 23 random 4x4 uint8 images."""
    g = torch.Generator().manual_seed(1)
    model = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(48, 3))
    x = torch.randint(0, 256, (23, 3, 4, 4), dtype=torch.uint8, generator=g)
    y = torch.randint(0, 3, (23,), generator=g)
    return model, x, y


def test_evaluate_arrays_matches_a_direct_computation(tiny):
    model, x, y = tiny
    loss, err = evaluate_arrays(model, x, y, prep, OFF, batch=5)  # 23 images: 4 full batches and a short one
    model.eval()
    with torch.no_grad():
        logits = model(prep(x))
    assert loss == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    assert err == pytest.approx((logits.argmax(1) != y).float().mean().item())
    assert 0 <= err <= 1 and err * len(y) == pytest.approx(round(err * len(y)))
    assert 0 < err < 1  # random weights on three classes: some right, some wrong


def test_evaluate_arrays_outputs_and_batch_size_do_not_change_the_result(tiny):
    model, x, y = tiny
    loss, err, (preds, confs) = evaluate_arrays(model, x, y, prep, OFF, batch=500, outputs=True)
    assert (loss, err) == pytest.approx(evaluate_arrays(model, x, y, prep, OFF, batch=7))
    model.eval()
    with torch.no_grad():
        probs = model(prep(x)).softmax(1)
    assert torch.equal(preds, probs.argmax(1)) and torch.allclose(confs, probs.max(1).values)
    assert err == pytest.approx((preds != y).float().mean().item())
    assert not confs.requires_grad and confs.shape == preds.shape == y.shape


def test_evaluate_arrays_restores_the_training_mode(tiny):
    model, x, y = tiny
    model.train()
    evaluate_arrays(model, x, y, prep, OFF)
    assert model.training
    model.eval()
    evaluate_arrays(model, x, y, prep, OFF)
    assert not model.training


def test_a_perfect_model_has_zero_error():
    x = torch.zeros(6, 1, 1, 1, dtype=torch.uint8)
    y = torch.tensor([2] * 6)
    model = nn.Sequential(nn.Flatten(), nn.Linear(1, 3))
    with torch.no_grad():
        model[1].weight.zero_()
        model[1].bias.copy_(torch.tensor([0.0, 0.0, 10.0]))
    loss, err = evaluate_arrays(model, x, y, prep, OFF)
    assert err == 0 and 0 < loss < 1e-3


def _outputs(n: int, wrong: set[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Labels, predictions (wrong exactly at ``wrong``) and distinct confidences (image i: 0.3 + i / 100)."""
    y = torch.arange(n) % 3
    preds = torch.tensor([(int(y[i]) + 1) % 3 if i in wrong else int(y[i]) for i in range(n)])
    return y, preds, 0.3 + torch.arange(n) / 100


def test_save_evaluation_writes_every_image_and_the_most_confidently_wrong(tmp_path):
    n = 30
    x = torch.randint(0, 256, (n, 3, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(2))
    wrong = set(range(0, n, 2))  # 15 wrong: more than WRONG_KEPT
    y, preds, confs = _outputs(n, wrong)
    save_evaluation(tmp_path, 4, ["a", "b", "c"], y, (preds, confs), x)

    ev = json.loads((tmp_path / "evaluation.json").read_text())
    assert (ev["epoch"], ev["classes"]) == (4, ["a", "b", "c"])
    assert ev["labels"] == y.tolist() and ev["preds"] == preds.tolist() and len(ev["confidences"]) == n
    assert ev["confidences"] == pytest.approx(confs.tolist(), abs=1e-5)
    expected = sorted(wrong, key=lambda i: -float(confs[i]))[:WRONG_KEPT]
    assert WRONG_KEPT == 12 and [w["index"] for w in ev["wrong"]] == expected  # most confident first
    for rank, w in enumerate(ev["wrong"]):
        i = w["index"]
        assert w["file"] == f"wrong/{rank:02d}-test{i}.png"
        assert (w["label"], w["pred"]) == (int(y[i]), int(preds[i])) and w["label"] != w["pred"]
        assert w["confidence"] == pytest.approx(float(confs[i]))
        saved = np.array(Image.open(tmp_path / w["file"]))
        assert np.array_equal(saved, x[i].permute(1, 2, 0).numpy())  # what the model saw
    assert sorted(p.name for p in (tmp_path / "wrong").iterdir()) == sorted(w["file"][6:] for w in ev["wrong"])


def test_save_evaluation_replaces_the_previous_epochs_images(tmp_path):
    x = torch.zeros(6, 3, 4, 4, dtype=torch.uint8)
    y, preds, confs = _outputs(6, {1, 4})
    save_evaluation(tmp_path, 1, ["a", "b", "c"], y, (preds, confs), x)
    assert len(list((tmp_path / "wrong").iterdir())) == 2
    y, preds, confs = _outputs(6, set())  # a later epoch gets everything right
    save_evaluation(tmp_path, 2, ["a", "b", "c"], y, (preds, confs), x)
    ev = json.loads((tmp_path / "evaluation.json").read_text())
    assert ev["epoch"] == 2 and ev["wrong"] == []
    assert list((tmp_path / "wrong").iterdir()) == [] and not (tmp_path / "wrong.tmp").exists()
