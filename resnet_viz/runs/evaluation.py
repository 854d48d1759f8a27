"""A run's held-out evaluation, as the Your data page shows it: the ``evaluation.json`` the trainer writes
after every epoch (true labels, predictions, confidences, the most confidently wrong images), and the
numbers read off it (confusion matrix, per-class accuracy, accuracy).
"""

from __future__ import annotations

import numpy as np

from resnet_viz.runs.store import Run, read_json


def evaluation(run: Run) -> dict | None:
    """The run's latest held-out evaluation (``training.evaluation.save_evaluation``), or None."""
    return read_json(run.path / "evaluation.json")


def confusion(ev: dict) -> np.ndarray:
    """``(K, K)`` counts: row = true class, column = predicted class."""
    k = len(ev["classes"])
    m = np.zeros((k, k), int)
    np.add.at(m, (np.asarray(ev["labels"], int), np.asarray(ev["preds"], int)), 1)
    return m


def per_class_accuracy(ev: dict) -> dict[str, float | None]:
    """Class name -> fraction of its held-out images classified correctly (None without images)."""
    m = confusion(ev)
    n = m.sum(1)
    return {c: (float(m[i, i] / n[i]) if n[i] else None) for i, c in enumerate(ev["classes"])}


def accuracy(ev: dict) -> float:
    labels, preds = np.asarray(ev["labels"]), np.asarray(ev["preds"])
    return float((labels == preds).mean()) if len(labels) else float("nan")
