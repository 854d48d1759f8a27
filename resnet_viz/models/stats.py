"""Parameter and FLOP counts of every registered model, cached on disk.

Counting FLOPs with ``torch.utils.flop_counter`` walks every layer (about 12 s for the whole zoo
on a 2-core CPU, most of it the 1202-layer nets), so the numbers are computed once per machine
and torch version and kept in ``<cache>/model_stats-<torch version>.json``. The app ships the file for the
torch version it is pinned to (``assets/model_stats-<version>.json``, made by
``python -m resnet_viz.models.stats --ship``), so a fresh machine starts with them.

In the app server they are computed in a *separate process* (``python -m resnet_viz.models.stats``):
``FlopCounterMode`` installs global module hooks (its module tracker) that would fire inside every
other session's forward and backward passes while it runs.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

import torch

from resnet_viz.env import cache_dir, repo_root
from resnet_viz.models.registry import count_flops, count_params, list_models

_lock = threading.Lock()
_rows: list[dict] | None = None  # in memory once computed or read


def _stats_path() -> Path:
    return cache_dir() / f"model_stats-{torch.__version__.split('+')[0]}.json"


def _shipped_path() -> Path:
    from resnet_viz.env import assets_dir

    return assets_dir() / f"model_stats-{torch.__version__.split('+')[0]}.json"


def model_stats(progress=None, *, in_process: bool = False) -> list[dict]:
    """One row per registered model: name, family, depth, skip, params, flops, input_size, twin.

    Missing rows are computed in a subprocess unless ``in_process`` (safe only where nothing else
    runs torch at the same time, e.g. the CLI). ``progress(done, total, name)`` is called while
    rows are computed in-process.
    """
    global _rows
    if _rows is not None:
        return _rows
    if not in_process and not stats_cached():
        import subprocess
        import sys

        with _lock:  # the child prints the rows (and caches them when it can write the cache)
            if _rows is None and not stats_cached():
                out = subprocess.run([sys.executable, "-m", "resnet_viz.models.stats"], check=True, capture_output=True,
                                     text=True, cwd=repo_root(), timeout=600)
                if not stats_cached():
                    _rows = json.loads(out.stdout)
            if _rows is not None:
                return _rows
    with _lock:
        path = _stats_path()
        cached: dict[str, dict] = {}
        for src in (_shipped_path(), path):  # the machine's own cache wins over the shipped file
            if src.is_file():
                try:
                    cached.update({r["name"]: r for r in json.loads(src.read_text())})
                except (OSError, ValueError, KeyError, TypeError):
                    pass
        models = list_models()
        rows, changed = [], False
        for i, m in enumerate(models):
            row = cached.get(m.name)
            if row is None:
                if progress:
                    progress(i, len(models), m.name)
                row = {"name": m.name, "family": m.family, "depth": m.depth, "skip": m.skip,
                       "params": count_params(m.name), "flops": count_flops(m.name),
                       "input_size": m.input_size, "twin": m.twin, "description": m.description}
                changed = True
            rows.append(row)
        if changed:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
                with os.fdopen(fd, "w") as f:
                    json.dump(rows, f)
                os.replace(tmp, path)
            except OSError:
                pass  # a read-only cache: the rows stay in memory for this process
        _rows = rows
        return rows


def stats_cached() -> bool:
    return _stats_path().is_file() or _shipped_path().is_file()


if __name__ == "__main__":
    import sys

    if "--ship" in sys.argv[1:]:  # regenerate the shipped file from scratch (no cache)
        import datetime

        rows = [{"name": m.name, "family": m.family, "depth": m.depth, "skip": m.skip, "params": count_params(m.name),
                 "flops": count_flops(m.name), "input_size": m.input_size, "twin": m.twin,
                 "description": m.description} for m in list_models()]
        _shipped_path().write_text(json.dumps(rows, indent=1))
        _shipped_path().with_suffix(".provenance.json").write_text(json.dumps({
            "command": "python -m resnet_viz.models.stats --ship", "date": datetime.date.today().isoformat(),
            "torch": torch.__version__, "what": "parameters and FLOPs (torch.utils.flop_counter, 2 per multiply-add) "
            "of every registered model at its input size"}, indent=2))
        print(f"wrote {_shipped_path()}")
    else:
        print(json.dumps(model_stats(in_process=True)))
