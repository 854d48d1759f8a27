"""The Your data page's sentences, read off the held-out evaluations of a ResNet and its plain twin
(``runs.evaluation``): each net's accuracy, the class where the two differ most, and the captions of the
images a net got most confidently wrong.
"""

from __future__ import annotations

from resnet_viz.models.names import display_name
from resnet_viz.runs.evaluation import accuracy, per_class_accuracy


def describe_evaluation(evs: dict[str, dict]) -> str:
    """One sentence from the numbers: each net's held-out accuracy, and where they differ most."""
    names = list(evs)
    parts = [f"{display_name(n)} classifies {100 * accuracy(ev):.1f} % of the {len(ev['labels'])} held-out images "
             "correctly" for n, ev in evs.items()]
    text = "; ".join(parts) + "."
    if len(names) == 2:
        a, b = (per_class_accuracy(evs[n]) for n in names)
        diffs = {c: a[c] - b[c] for c in a if a[c] is not None and b.get(c) is not None}
        if diffs:
            c = max(diffs, key=lambda k: abs(diffs[k]))
            if abs(diffs[c]) > 0:
                text += (f" The largest gap is on '{c}': {100 * a[c]:.0f} % for {display_name(names[0])} against "
                         f"{100 * b[c]:.0f} % for {display_name(names[1])}.")
    return text


def all_correct(name: str) -> str:
    """What the page says instead of the wrong images when there are none."""
    return f"{name} classifies every held-out image correctly."


def wrong_caption(classes: list[str], wrong: dict) -> str:
    """The caption of one confidently wrong image (an entry of the evaluation's ``wrong`` list)."""
    return (f"true: {classes[wrong['label']]} · said: {classes[wrong['pred']]} "
            f"({100 * wrong['confidence']:.0f} %)")


def wrong_summary(name: str, ev: dict, shown: int) -> str:
    """How many held-out images the net got wrong, and how many of them are shown."""
    n_wrong = sum(int(y != p) for y, p in zip(ev["labels"], ev["preds"]))
    return (f"{name} got {n_wrong} of {len(ev['labels'])} held-out images wrong"
            + (f"; the {shown} it was most sure of are shown." if shown else "."))


def checking_text(done: int, total: int) -> str:
    """The progress bar's text while every image of a folder is checked."""
    return f"Checking every image: {done} of {total}"


def more_classes(n_classes: int, shown: int = 12) -> str | None:
    """The line under the thumbnails when some classes are not shown (None when all are)."""
    return f"... and {n_classes - shown} more classes." if n_classes > shown else None


def skipped_title(n_skipped: int) -> str:
    """The title of the list of skipped files."""
    return f"Skipped files ({n_skipped}) and why"


def weights_missing(depth: int, url: str, path: str) -> str:
    """Why transfer learning cannot start: ResNet-``depth``'s ImageNet weights are neither cached nor downloadable."""
    return (f"The ImageNet weights of ResNet-{depth} are not in the torch hub cache, and this server "
            f"cannot download them. Download {url} and put it at `{path}`, "
            "or train from scratch (first option above), which needs no download.")


def run_progress(label: str, status: dict) -> tuple[float, str]:
    """A training run's progress bar: the finished fraction and its text (message, minutes left when running)."""
    state = status.get("state", "waiting")
    frac = 1.0 if state == "finished" else float(status.get("progress") or 0.0)
    eta = f", about {status['eta_s'] / 60:.1f} min left" if state == "running" and status.get("eta_s") else ""
    return min(frac, 1.0), f"{label}: {status.get('message') or state}{eta}"
