"""The degradation experiment (He et al. 2015, Figures 1, 6 and 7) read off the run store.

Runs of one experiment share a tag: ``<model>-<tag>``, e.g. ``plain56-fast12``. A run set is
usable when it has plain and ResNet runs at two depths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from resnet_viz.runs.store import Run, list_runs

RUN_RE = re.compile(r"^(plain|resnet)(\d+)-(.+)$")


@dataclass
class RunSet:
    tag: str
    runs: dict[str, Run] = field(default_factory=dict)  # model name -> run
    shipped: bool = False

    @property
    def depths(self) -> list[int]:
        ds = {int(RUN_RE.match(r.name).group(2)) for r in self.runs.values()}
        return sorted(d for d in ds if f"plain{d}" in self.runs and f"resnet{d}" in self.runs)

    def label(self) -> str:
        any_run = next(iter(self.runs.values()))
        cfg = any_run.config
        data = any_run.provenance.get("data_label") or cfg.get("data", "?")
        where = "shipped with the app" if self.shipped else "trained here"
        return f"{self.tag}: {data}, {cfg.get('preset')} preset, {cfg.get('epochs')} epochs ({where})"


def run_sets() -> list[RunSet]:
    """Every tag with runs, shipped sets first."""
    sets: dict[tuple[bool, str], RunSet] = {}
    for run in list_runs():
        m = RUN_RE.match(run.name)
        if not m:
            continue
        key = (run.shipped, m.group(3))
        sets.setdefault(key, RunSet(tag=m.group(3), shipped=run.shipped)).runs[f"{m.group(1)}{m.group(2)}"] = run
    return sorted(sets.values(), key=lambda s: (not s.shipped, s.tag))


def common_epoch_errors(runs: dict[str, Run]) -> tuple[int, dict[str, dict]]:
    """Errors of every run at the last epoch *all* of them have finished, so that a set still
    training (or stopped) is compared at equal training time: ``(epoch, {model: record})``."""
    epochs = {name: run.metrics("epoch") for name, run in runs.items()}
    common = min((len(e) for e in epochs.values()), default=0)
    return common, {name: e[common - 1] for name, e in epochs.items() if common}


def describe_degradation(finals: dict[str, dict], shallow: int, deep: int, epoch: int | None = None) -> str:
    """The takeaway, read off the training errors (the paper's claim is about *training* error)."""
    def te(name):
        v = finals.get(name, {}).get("train_error")
        return None if v is None else 100 * v

    p_s, p_d, r_s, r_d = te(f"plain{shallow}"), te(f"plain{deep}"), te(f"resnet{shallow}"), te(f"resnet{deep}")
    if None in (p_s, p_d, r_s, r_d):
        return "Not all four runs have finished an epoch yet: the comparison appears when they have."
    plain = (f"plain-{deep} has {p_d - p_s:.1f} points *more* training error than plain-{shallow} "
             f"({p_d:.1f} % vs {p_s:.1f} %): the deeper plain net trains worse, the degradation problem"
             if p_d > p_s else
             f"plain-{deep} has {p_s - p_d:.1f} points less training error than plain-{shallow} "
             f"({p_d:.1f} % vs {p_s:.1f} %): in these runs the degradation problem does not show")
    res = (f"ResNet-{deep} is {r_s - r_d:.1f} points *below* ResNet-{shallow} ({r_d:.1f} % vs {r_s:.1f} %): "
           "with skip connections depth helps" if r_d <= r_s else
           f"ResNet-{deep} is {r_d - r_s:.1f} points above ResNet-{shallow} ({r_d:.1f} % vs {r_s:.1f} %)")
    when = f"After {epoch} epoch{'s' if epoch != 1 else ''} (all four runs), training error" if epoch \
        else "Final training error"
    return f"{when}: {plain}. {res}."


def describe_one_depth(finals: dict[str, dict], depth: int, epoch: int | None = None) -> str:
    """The takeaway for a set with twins at a single depth: how the two compare, and what is missing."""
    p, r = (finals.get(f"{k}{depth}", {}).get("train_error") for k in ("plain", "resnet"))
    if p is None or r is None:
        return "Not both runs have finished an epoch yet: the comparison appears when they have."
    diff = 100 * (p - r)
    return (f"After {epoch} epoch{'s' if epoch != 1 else ''}, ResNet-{depth} has {100 * r:.1f} % training error and "
            f"Plain-{depth} {100 * p:.1f} % (the ResNet is {abs(diff):.1f} points "
            f"{'lower' if diff > 0 else 'higher'}). "
            "These runs have one depth only: whether depth hurts the plain net needs a deeper pair.")


def describe_responses(responses: dict[str, list[dict]]) -> str:
    """Read the ordering of the mean response std off the data and compare it with the paper's."""
    from resnet_viz.models.names import display_name

    means = {n: sum(r["std"] for r in rows) / len(rows) for n, rows in responses.items() if rows}
    order = sorted(means, key=means.get)
    text = ("Mean std of the 3x3 layer responses, smallest first: "
            + " < ".join(f"{display_name(n)} {means[n]:.3f}" for n in order) + ".")
    depths = sorted(d for d in {int(RUN_RE.match(n + "-x").group(2)) for n in means}
                    if f"plain{d}" in means and f"resnet{d}" in means)  # only complete twin pairs compare
    if not depths:
        return text
    below = all(means[f"resnet{d}"] < means[f"plain{d}"] for d in depths)
    deeper_lower = len(depths) > 1 and means[f"resnet{depths[-1]}"] < means[f"resnet{depths[0]}"]
    if len(depths) == 1:
        d = depths[0]
        return text + (f" As in the paper, ResNet-{d} responds less than Plain-{d}: its residual functions stay "
                       "closer to zero." if below else
                       f" The paper reports ResNets below their plain twins; here ResNet-{d} is not below Plain-{d}.")
    if below and deeper_lower:
        return text + (" As in the paper, the ResNets respond less than their plain twins and the deeper ResNet "
                       "less still: its residual functions stay closer to zero.")
    return text + (" The paper reports ResNets below their plain twins and deeper ResNets lower still; "
                   f"here the ResNets are {'' if below else 'not '}below their twins and the deeper ResNet is "
                   f"{'' if deeper_lower else 'not '}lower (short or small runs can differ).")


def run_responses(run: Run, data: str, n: int) -> dict:
    """Layer responses (paper Figure 7) of a run's model on the first ``n`` test images of ``data``
    (class-balanced), with the settings stored beside the numbers."""
    import torch

    from resnet_viz.data.datasets import get_dataset
    from resnet_viz.models.weights import load_model
    from resnet_viz.probes.responses import layer_responses

    lm = load_model(run.config["model"], run.checkpoint)
    ds = get_dataset(data, "test", transform=lm.transforms())
    step = max(1, len(ds) // n)
    x = torch.stack([ds[i][0] for i in range(0, len(ds), step)][:n])
    return {"data": data, "images": len(x), "layers": layer_responses(lm.model, x)}


def logged_gradients(run: Run) -> dict:
    """The per-layer gradient norms a training run logged, in the shape ``plots.gradient_heatmaps``
    takes: ``{"layers", "norms" (step x layer), "steps", "loss"}``."""
    names = next((r["names"] for r in run.metrics("layers")), [])
    grads = run.metrics("grads")
    return {"model": run.config.get("model"), "layers": names, "norms": [g["norms"] for g in grads],
            "steps": [g["step"] for g in grads], "loss": []}
