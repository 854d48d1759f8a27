"""Forward passes on loaded models: classify one image, evaluate a data set.

Everything runs under ``torch.inference_mode`` (no autograd graph, nothing written on the model),
so a shared cached model can serve many threads at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import torch
from PIL import Image

from resnet_viz.i18n import Msg
from resnet_viz.models.weights import LoadedModel
from resnet_viz.probes._model import autocast_for


def label_of(lm: LoadedModel, index: int) -> str:
    cats = lm.meta.categories
    # TRANSLATORS: the name of a class the model has no name for (its number)
    return cats[index] if cats and index < len(cats) else Msg("class {index}", index=index)


@torch.inference_mode()
def predict_probs(lm: LoadedModel, batch: torch.Tensor) -> torch.Tensor:
    """Softmax probabilities (B, num_classes) for a preprocessed batch (B, 3, S, S)."""
    device = lm.device
    with autocast_for(device):
        logits = lm.model(batch.to(device))
    return torch.softmax(logits.float(), dim=1).cpu()


def classify(lm: LoadedModel, image: Image.Image, top: int = 5) -> list[dict]:
    """Top-``top`` classes of one RGB image: ``[{"label", "prob", "index"}, ...]`` best first."""
    x = lm.transforms()(image).unsqueeze(0)  # (1, 3, S, S)
    probs = predict_probs(lm, x)[0]
    k = max(1, min(top, probs.numel()))
    values, indices = probs.topk(k)
    return [{"label": label_of(lm, int(i)), "prob": float(p), "index": int(i)} for p, i in zip(values, indices)]


@torch.inference_mode()
def evaluate(
    lm: LoadedModel,
    dataset,
    *,
    batch_size: int = 256,
    num_workers: int = 0,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> dict:
    """Top-1 accuracy over ``dataset`` (which yields ``(tensor, label)``), overall and per class.

    Returns ``{"accuracy", "n", "correct", "per_class": {name: accuracy}, "confusion"}``
    with accuracies as fractions.
    """
    device = lm.device
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=num_workers,
                                         pin_memory=device.type == "cuda")
    n_classes = lm.meta.num_classes
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    batches = progress(loader) if progress else loader
    model = lm.model  # shared: used as it is, never converted or moved here
    for x, y in batches:
        x = x.to(device, non_blocking=True)
        with autocast_for(device):
            pred = model(x).argmax(1).cpu().numpy()
        np.add.at(confusion, (y.numpy(), pred), 1)
    n = int(confusion.sum())
    correct = int(np.trace(confusion))
    names = getattr(dataset, "classes", None) or lm.meta.categories or [str(i) for i in range(n_classes)]
    per_class = {names[i] if i < len(names) else str(i): float(confusion[i, i] / confusion[i].sum())
                 for i in range(n_classes) if confusion[i].sum() > 0}
    return {"accuracy": correct / n if n else float("nan"), "n": n, "correct": correct,
            "per_class": per_class, "confusion": confusion.tolist()}
