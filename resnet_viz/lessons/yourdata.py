"""The Your data page's sentences, read off the held-out evaluations of a ResNet and its plain twin
(``runs.evaluation``): each net's accuracy, the class where the two differ most, and the captions of the
images a net got most confidently wrong.

Every sentence is a ``Msg``: its value is the English sentence, and it is translated where it is drawn.
"""

from __future__ import annotations

from resnet_viz.i18n import N_, Msg, PluralMsg
from resnet_viz.models.names import display_name
from resnet_viz.runs.evaluation import accuracy, per_class_accuracy
from resnet_viz.training.queue import job_msg

# TRANSLATORS: the state of a training run, shown after the net's name on its progress bar
STATES = {"waiting": N_("waiting"), "queued": N_("queued"), "running": N_("running"), "finished": N_("finished"),
          "stopped": N_("stopped"), "failed": N_("failed"), "diverged": N_("diverged")}


def describe_evaluation(evs: dict[str, dict]) -> Msg:
    """One sentence from the numbers: each net's held-out accuracy, and where they differ most."""
    names = list(evs)
    parts = [Msg("{name} classifies {acc:.1f} % of the {n} held-out images correctly", name=display_name(n),
                 acc=100 * accuracy(ev), n=len(ev["labels"])) for n, ev in evs.items()]
    joined = parts[0]
    for part in parts[1:]:
        # TRANSLATORS: two clauses of one sentence ("ResNet-20 classifies ...; Plain-20 classifies ...")
        joined = Msg("{first}; {second}", first=joined, second=part)
    text = Msg("{accuracies}.", accuracies=joined)
    if len(names) == 2:
        a, b = (per_class_accuracy(evs[n]) for n in names)
        diffs = {c: a[c] - b[c] for c in a if a[c] is not None and b.get(c) is not None}
        if diffs:
            c = max(diffs, key=lambda k: abs(diffs[k]))
            if abs(diffs[c]) > 0:
                # TRANSLATORS: {accuracies} is the sentence before, on each net's accuracy
                text = Msg("{accuracies}. The largest gap is on '{class_name}': {acc_a:.0f} % for {name_a} "
                           "against {acc_b:.0f} % for {name_b}.", accuracies=joined, class_name=c, acc_a=100 * a[c],
                           name_a=display_name(names[0]), acc_b=100 * b[c], name_b=display_name(names[1]))
    return text


def all_correct(name: str) -> Msg:
    """What the page says instead of the wrong images when there are none."""
    return Msg("{name} classifies every held-out image correctly.", name=name)


def wrong_caption(classes: list[str], wrong: dict) -> Msg:
    """The caption of one confidently wrong image (an entry of the evaluation's ``wrong`` list)."""
    # TRANSLATORS: the caption of an image the net got wrong: its true class, the class the net said, its confidence
    return Msg("true: {true} · said: {said} ({confidence:.0f} %)", true=classes[wrong["label"]],
               said=classes[wrong["pred"]], confidence=100 * wrong["confidence"])


def wrong_summary(name: str, ev: dict, shown: int) -> Msg:
    """How many held-out images the net got wrong, and how many of them are shown."""
    n_wrong = sum(int(y != p) for y, p in zip(ev["labels"], ev["preds"]))
    if shown:
        return Msg("{name} got {wrong} of {total} held-out images wrong; the {shown} it was most sure of are shown.",
                   name=name, wrong=n_wrong, total=len(ev["labels"]), shown=shown)
    return Msg("{name} got {wrong} of {total} held-out images wrong.", name=name, wrong=n_wrong,
               total=len(ev["labels"]))


def checking_text(done: int, total: int) -> Msg:
    """The progress bar's text while every image of a folder is checked."""
    return Msg("Checking every image: {done} of {total}", done=done, total=total)


def more_classes(n_classes: int, shown: int = 12) -> Msg | None:
    """The line under the thumbnails when some classes are not shown (None when all are)."""
    if n_classes <= shown:
        return None
    return PluralMsg("... and {n} more class.", "... and {n} more classes.", n_classes - shown)


def skipped_title(n_skipped: int) -> Msg:
    """The title of the list of skipped files."""
    return Msg("Skipped files ({n}) and why", n=n_skipped)


def weights_missing(depth: int, url: str, path: str) -> Msg:
    """Why transfer learning cannot start: ResNet-``depth``'s ImageNet weights are neither cached nor downloadable."""
    return Msg("The ImageNet weights of ResNet-{depth} are not in the torch hub cache, and this server cannot "
               "download them. Download {url} and put it at `{path}`, or train from scratch (first option above), "
               "which needs no download.", depth=depth, url=url, path=path)


def run_progress(label: str, status: dict) -> tuple[float, Msg]:
    """A training run's progress bar: the finished fraction and its text (message, minutes left when running).
    The message comes from the run's status file (written by its worker, in English, with its template)."""
    state = status.get("state", "waiting")
    frac = 1.0 if state == "finished" else float(status.get("progress") or 0.0)
    message = job_msg(status) or Msg(STATES.get(state, state))
    if state == "running" and status.get("eta_s"):
        return min(frac, 1.0), Msg("{label}: {status}, about {minutes:.1f} min left", label=label, status=message,
                                   minutes=status["eta_s"] / 60)
    # TRANSLATORS: a net's name and the state of its training run
    return min(frac, 1.0), Msg("{label}: {status}", label=label, status=message)
