"""Classifying one image and evaluating a data set with a loaded model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from resnet_viz.models.weights import load_model
from resnet_viz.probes.inference import classify, evaluate, label_of, predict_probs


@pytest.fixture
def lm():
    torch.manual_seed(0)
    return load_model("resnet20", "random", categories=[f"c{i}" for i in range(10)])


def _image(seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (40, 48, 3), dtype=np.uint8))


def test_classify_probabilities_best_first_and_labelled(lm):
    top = classify(lm, _image(), top=10)
    probs = [t["prob"] for t in top]
    assert len(top) == 10 and sum(probs) == pytest.approx(1.0, abs=1e-5)
    assert probs == sorted(probs, reverse=True)
    assert sorted(t["index"] for t in top) == list(range(10))
    assert all(t["label"] == f"c{t['index']}" for t in top)
    x = lm.transforms()(_image()).unsqueeze(0)
    assert top[0]["index"] == int(predict_probs(lm, x)[0].argmax())
    assert len(classify(lm, _image(), top=3)) == 3 and len(classify(lm, _image(), top=0)) == 1


def test_predict_probs_rows_sum_to_one(lm):
    probs = predict_probs(lm, torch.randn(3, 3, 32, 32))
    assert probs.shape == (3, 10)
    torch.testing.assert_close(probs.sum(1), torch.ones(3))


def test_label_of_without_categories(lm):
    assert label_of(lm, 3) == "c3"
    lm.meta.categories = None
    assert label_of(lm, 3) == "class 3"


def test_evaluate_counts_match_the_predictions(lm):
    torch.manual_seed(1)
    xs, ys = torch.randn(6, 3, 32, 32), [0, 1, 2, 0, 1, 2]
    preds = predict_probs(lm, xs).argmax(1).tolist()
    res = evaluate(lm, list(zip(xs, ys)), batch_size=4)
    correct = sum(p == y for p, y in zip(preds, ys))
    assert res["n"] == 6 and res["correct"] == correct
    assert res["accuracy"] == pytest.approx(correct / 6)
    assert set(res["per_class"]) == {"c0", "c1", "c2"}  # classes without images are left out
    conf = np.asarray(res["confusion"])
    assert conf.shape == (10, 10) and conf.sum() == 6 and conf[:3].sum(1).tolist() == [2, 2, 2]
