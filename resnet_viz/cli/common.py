"""What the CLI's commands share: the one-line error (:class:`CliError`, exit code 2), plain-text tables,
loading the ``--model``/``--weights``/``--device`` a command names, the reproducing command line, the progress
bar and status file of long probes, and the check that a data set's classes are the model's.

Nothing here imports torch at module import time (the commands' heavy imports are inside functions).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from resnet_viz.i18n import N_, Msg

EXIT_ERROR = 2


class CliError(Exception):
    """An expected failure: printed as one line, exit code 2."""


def print_table(rows: list[dict[str, Any]], cols: list[str]) -> None:
    """``rows`` as a plain-text table of the columns ``cols``, each as wide as its widest cell."""
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.ljust(widths[c]) for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in cols))


def load_model_from_args(args: argparse.Namespace):
    """The model of ``--model`` with the weights of ``--weights`` on the device of ``--device``."""
    from resnet_viz.env import resolve_device
    from resnet_viz.models.weights import load_model

    device = resolve_device(args.device)
    return load_model(args.model, args.weights, device=device)


def command_line(argv: list[str]) -> str:
    """The command that reproduces a result: the arguments without where it was written
    (``--out``, ``--progress-file``) or how it was shown (``--quiet``, ``--json``)."""
    import shlex

    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--out", "--progress-file"):
            skip = True
            continue
        if a.startswith(("--out=", "--progress-file=")) or a in ("--quiet", "--json"):
            continue
        out.append(a)
    return "python -m resnet_viz " + shlex.join(out)


class Progress:
    """A tqdm bar on stderr (unless quiet) and, with ``--progress-file``, a JSON status file the app reads."""

    def __init__(self, args: argparse.Namespace, desc: str, unit: str) -> None:
        from tqdm import tqdm

        self.file = Path(args.progress_file) if getattr(args, "progress_file", None) else None
        self.bar = tqdm(total=1, desc=desc, unit=unit, file=sys.stderr, disable=args.quiet)
        self.last = 0.0
        self.write("running", 0, 1, N_("loading the data"))

    def write(self, state: str, done: int, total: int, message) -> None:
        """The status file the app reads: ``message`` in English, and its template when it is a ``Msg`` (the app
        shows it in the language of the session that draws it; fixed texts are marked with ``N_``)."""
        if self.file:
            import time

            from resnet_viz.runs.store import write_json
            from resnet_viz.training.queue import msg_fields

            write_json(self.file, {"state": state, "done": done, "total": total, "pid": os.getpid(),
                                   **msg_fields("message", message), "updated": time.time()})

    def __call__(self, done: int, total: int) -> None:
        import time

        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()
        if self.file and (time.time() - self.last > 1 or done == total):
            self.last = time.time()
            self.write("running", done, total, Msg("{percent:.0f} %", percent=100 * done / max(1, total)))

    def close(self, message: str) -> None:
        self.bar.close()
        self.write("finished", 1, 1, message)


def check_classes(ds, lm, model: str) -> list[str]:
    """The data set's class names, after checking they are the model's (one-line error otherwise)."""
    classes = list(getattr(ds, "classes", []) or [])
    if classes and lm.meta.categories and len(classes) != lm.meta.num_classes:
        raise CliError(f"the data set has {len(classes)} classes but {model} predicts {lm.meta.num_classes}")
    if classes and lm.meta.categories and classes != list(lm.meta.categories):
        raise CliError(f"the data set's classes {classes[:3]}... are not the model's {lm.meta.categories[:3]}...")
    return classes
