"""The held-out evaluation of a run: loss and error on in-memory test images, and what the app shows of it
(``evaluation.json`` with every test image's label, prediction and confidence, and the most confidently wrong
images as PNGs in ``wrong/``, for the confusion matrix and Grad-CAM).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from resnet_viz.runs.store import write_json

WRONG_KEPT = 12  # most confidently wrong test images saved with every evaluation


@torch.no_grad()
def evaluate_arrays(model: nn.Module, x: torch.Tensor, y: torch.Tensor, prep, autocast, batch: int = 500,
                    outputs: bool = False):
    """(mean loss, error fraction) of ``model`` in eval mode on in-memory uint8 images; with ``outputs``
    also ``(predictions, confidences)``: per image the arg-max class and its softmax probability."""
    was = model.training
    model.eval()
    loss_sum, wrong = 0.0, 0
    preds, confs = [], []
    for i in range(0, len(y), batch):
        with autocast:
            logits = model(prep(x[i:i + batch])).float()
        loss_sum += F.cross_entropy(logits, y[i:i + batch], reduction="sum").item()
        conf, pred = logits.softmax(1).max(1)
        wrong += int((pred != y[i:i + batch]).sum())
        preds.append(pred.cpu())
        confs.append(conf.cpu())
    model.train(was)
    if outputs:
        return loss_sum / len(y), wrong / len(y), (torch.cat(preds), torch.cat(confs))
    return loss_sum / len(y), wrong / len(y)


def save_evaluation(run_dir: Path, epoch: int, classes: list[str], y: torch.Tensor, outputs, x: torch.Tensor) -> None:
    """``evaluation.json`` (per held-out image: label, prediction, confidence) and the ``WRONG_KEPT`` most
    confidently wrong images as PNGs in ``wrong/`` (what the model saw, at its input size)."""
    from PIL import Image

    preds, confs = outputs
    labels = y.cpu()
    wrong = torch.nonzero(preds != labels).flatten()
    worst = wrong[torch.argsort(confs[wrong], descending=True)][:WRONG_KEPT].tolist()
    folder = run_dir / "wrong"
    tmp = run_dir / "wrong.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    kept = []
    for rank, i in enumerate(worst):
        name = f"{rank:02d}-test{i}.png"
        Image.fromarray(x[i].permute(1, 2, 0).cpu().numpy()).save(tmp / name)
        kept.append({"file": f"wrong/{name}", "index": i, "label": int(labels[i]), "pred": int(preds[i]),
                     "confidence": float(confs[i])})
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    write_json(run_dir / "evaluation.json", {
        "epoch": epoch, "classes": classes, "labels": labels.tolist(), "preds": preds.tolist(),
        "confidences": [round(float(c), 5) for c in confs], "wrong": kept})
