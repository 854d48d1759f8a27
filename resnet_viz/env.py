"""Where things live and what this machine can do: device, threads, caches, network."""

from __future__ import annotations

import functools
import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from resnet_viz.i18n import _

if TYPE_CHECKING:  # torch is imported where it is used: the Home page renders without it (issue #7)
    import torch


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; an explicit device that is absent is an error."""
    import torch

    name = (name or "auto").lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for but no CUDA GPU is available (use --device auto or cpu)")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise RuntimeError("--device mps was asked for but Apple MPS is not available (use --device auto or cpu)")
    if name not in ("cpu", "cuda", "mps") and not name.startswith("cuda:"):
        raise RuntimeError(f"unknown device {name!r}: use auto, cpu, cuda or mps")
    if name.startswith("cuda:") and not (name[5:].isdigit() and int(name[5:]) < torch.cuda.device_count()):
        raise RuntimeError(f"--device {name} was asked for but this machine has {torch.cuda.device_count()} CUDA "
                           "GPU(s) (use --device auto, cuda or cpu)")
    return torch.device(name)


def device_summary() -> str:
    """One line for status displays, e.g. 'CUDA: NVIDIA H100 (1 GPU)' or 'CPU: 2 threads' (in the current
    language: the app's sidebar and Home; English from the CLI)."""
    import torch

    if torch.cuda.is_available():
        return _("CUDA: {gpu} ({n} GPU)", gpu=torch.cuda.get_device_name(0), n=torch.cuda.device_count())
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "Apple MPS"
    # TRANSLATORS: the compute this machine has: CPU and its number of torch threads
    return _("CPU: {n} threads", n=torch.get_num_threads())


_threads_set = False


def configure_threads(n: int | None = None) -> int:
    """Set torch's intra-op thread count once per process (many sessions share the cores).

    Default: the number of cores available to this process (``RESNET_VIZ_THREADS`` overrides).
    """
    import torch

    global _threads_set
    if not _threads_set:
        n = n or int(os.environ.get("RESNET_VIZ_THREADS", "0")) or cpu_count()
        torch.set_num_threads(max(1, n))
        _threads_set = True
    return torch.get_num_threads()


def cpu_count() -> int:
    """Cores this process may use (the affinity mask on Linux, all cores elsewhere)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def cache_dir() -> Path:
    """The app's own cache (data sets, runs): ``RESNET_VIZ_CACHE`` or ``~/.cache/resnet-viz``."""
    return Path(os.environ.get("RESNET_VIZ_CACHE") or Path.home() / ".cache" / "resnet-viz")


def data_dir() -> Path:
    """Where data sets are downloaded and made (CIFAR-10, the built-in examples): ``RESNET_VIZ_DATA`` or
    ``<cache>/data``."""
    env = os.environ.get("RESNET_VIZ_DATA")
    return Path(env).expanduser() if env else cache_dir() / "data"


def hub_checkpoint_dir() -> Path:
    """torch.hub's checkpoint cache (``$TORCH_HOME/hub/checkpoints``), shared with torchvision."""
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints"


def forced_offline() -> bool:
    """``RESNET_VIZ_OFFLINE=1`` forbids any network access (tests, classrooms without network)."""
    return os.environ.get("RESNET_VIZ_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


_reach_cache: dict[str, tuple[float, bool]] = {}


def can_reach(url: str, timeout: float = 3.0, ttl: float = 60.0) -> bool:
    """Whether ``url``'s host accepts a TCP connection within ``timeout`` s (cached ``ttl`` s).

    Downloads are tried only after this answers yes, so an offline machine never hangs on one.
    """
    if forced_offline():
        return False
    parsed = urlparse(url)
    host, port = parsed.hostname or "", parsed.port or (443 if parsed.scheme == "https" else 80)
    now = time.monotonic()
    hit = _reach_cache.get(host)
    if hit and now - hit[0] < ttl:
        return hit[1]
    try:
        with socket.create_connection((host, port), timeout=timeout):
            ok = True
    except OSError:
        ok = False
    _reach_cache[host] = (now, ok)
    return ok


@functools.lru_cache(maxsize=1)
def repo_root() -> Path:
    """The project folder (``assets/`` lives there)."""
    return Path(__file__).resolve().parent.parent


def assets_dir() -> Path:
    return repo_root() / "assets"
