"""Shared fixtures. Tests never touch the network: RESNET_VIZ_OFFLINE=1 and an empty torch hub
cache are set for every test. Data from ``../shared/data`` is used when present, and tests that
need it skip with the reason when it is absent."""

from __future__ import annotations

import fcntl
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("RESNET_VIZ_SHARED", ROOT.parent / "shared" / "data"))
REFERENCE_DIR = SHARED / "reference"
CIFAR_TAR = SHARED / "cifar10-jpg.tar.gz"

# Set before anything imports torch.hub, so no test ever sees the user's real caches.
_SESSION_TMP = Path(os.environ.get("PYTEST_RESNET_VIZ_TMP", "/tmp")) / f"resnet-viz-tests-{os.getpid()}"
os.environ["RESNET_VIZ_OFFLINE"] = "1"
os.environ["TORCH_HOME"] = str(_SESSION_TMP / "torch")
os.environ["RESNET_VIZ_CACHE"] = str(_SESSION_TMP / "cache")
os.environ.pop("RESNET_VIZ_WEIGHTS_DIRS", None)
# One torch thread count for every test and every process a test starts (the CLI and background jobs read
# RESNET_VIZ_THREADS): float sums split over threads differ in the last bits, which a trained result amplifies.
# 2 unless the caller sets it (RESNET_VIZ_THREADS=1 where several test runs share the cores); the thresholds on
# trained results were measured with 1 and 2.
TEST_THREADS = max(1, int(os.environ.get("RESNET_VIZ_THREADS") or 2))
# Server folders are allowed only under these roots (issue #17): the tests' temporary folders and their data.
# Tests of refused folders set their own.
TEST_DATA = Path(os.environ.get("RESNET_VIZ_TEST_DATA", Path.home() / ".cache" / "resnet-viz-test-data"))
os.environ["RESNET_VIZ_DATA_ROOTS"] = os.pathsep.join(
    [tempfile.gettempdir(), str(_SESSION_TMP), str(TEST_DATA), str(SHARED)])
os.environ["RESNET_VIZ_THREADS"] = str(TEST_THREADS)


def pytest_configure(config):
    _SESSION_TMP.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def reference_dir(monkeypatch) -> Path:
    """The shared reference checkpoints, visible to the library through RESNET_VIZ_WEIGHTS_DIRS."""
    if not (REFERENCE_DIR / "resnet20-12fca82f.th").is_file():
        pytest.skip(f"reference checkpoints not found in {REFERENCE_DIR} (../shared/data is absent)")
    monkeypatch.setenv("RESNET_VIZ_WEIGHTS_DIRS", str(REFERENCE_DIR))
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def cifar_jpg() -> Path:
    """The shared JPEG CIFAR-10, unpacked once into a cache folder (about 2 s)."""
    if not CIFAR_TAR.is_file():
        pytest.skip(f"{CIFAR_TAR} not found (../shared/data is absent)")
    dest = TEST_DATA
    done = dest / "cifar10-jpg" / ".complete"
    dest.mkdir(parents=True, exist_ok=True)
    with open(dest / ".unpack.lock", "w") as lock:  # two test processes at once unpack it only once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_file():
            with tarfile.open(CIFAR_TAR) as tar:
                tar.extractall(dest, filter="data")
            done.touch()
    return dest / "cifar10-jpg"


def run_cli(*args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``python -m resnet_viz ARGS`` in a subprocess with the test environment."""
    import sys

    return subprocess.run([sys.executable, "-m", "resnet_viz", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def run_cli_here(*args: str) -> subprocess.CompletedProcess:
    """``resnet_viz.cli.main.main(ARGS)`` in this process (no 5-10 s torch import per call), with the same result shape
    as :func:`run_cli`. For checks of messages and exit codes; :func:`run_cli` covers the real process."""
    import contextlib
    import io

    from resnet_viz.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(list(args))
        except SystemExit as e:  # argparse usage errors
            rc = e.code if isinstance(e.code, int) else 1
    return subprocess.CompletedProcess(["resnet_viz", *args], rc, out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True)
def _fresh_reachability_cache():
    """``env.can_reach`` caches answers per host; each test starts without them."""
    from resnet_viz import env

    env._reach_cache.clear()
    yield
    env._reach_cache.clear()


@pytest.fixture(autouse=True)
def _deterministic_torch():
    """Every test starts from the same state whatever ran before it: TEST_THREADS torch threads, the global torch,
    NumPy and ``random`` generators seeded with 0 (restored afterwards, so a test's draws never shift another's),
    and torch's deterministic algorithms (warn_only: a CPU op without a deterministic version warns, not fails).
    Training itself seeds from ``TrainConfig.seed``; this covers what a test draws without a generator."""
    import random

    import numpy as np
    import torch

    threads, det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    det_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    np_state, py_state = np.random.get_state(), random.getstate()
    torch.set_num_threads(TEST_THREADS)
    torch.use_deterministic_algorithms(True, warn_only=True)
    np.random.seed(0)
    random.seed(0)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(det, warn_only=det_warn)
        np.random.set_state(np_state)
        random.setstate(py_state)


@pytest.fixture
def imagenet_resnet18(tmp_path, monkeypatch) -> dict:
    """A torchvision-format ResNet-18 state dict saved where torchvision's weights enum looks for it (a temporary
    torch hub cache: no network), with BatchNorm statistics measured on images like real ImageNet weights."""
    import numpy as np
    import torch

    from resnet_viz.data.shapes import ShapesDataset
    from resnet_viz.models.registry import get_info
    from resnet_viz.models.weights import torchvision_cached_path, torchvision_weights

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    path = torchvision_cached_path(torchvision_weights(get_info("resnet18")))
    assert str(path).startswith(str(tmp_path))
    path.parent.mkdir(parents=True)
    torch.manual_seed(123)
    model = get_info("resnet18").build()
    # like real ImageNet weights, BatchNorm statistics that fit the weights: measured on some images
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None  # cumulative average
    x = torch.stack([torch.from_numpy(np.array(ShapesDataset(64, seed=9).sample(i)[0]))
                     for i in range(64)]).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        model.train()(x)
    sd = model.state_dict()
    torch.save(sd, path)
    return sd


# ----------------------------------------------------------------------------- AppTest fixtures
# Opted into by the tests of tests/ui and tests/pages with pytestmark = pytest.mark.usefixtures(...).


@pytest.fixture
def clear_streamlit_caches():
    """Every page test starts without the figures and numbers another test left in Streamlit's cache."""
    import streamlit as st

    st.cache_data.clear()
    yield


@pytest.fixture
def only_shipped_runs(tmp_path, monkeypatch):
    """An empty local run store (the pages see only what ships in assets/), and a clean Streamlit cache."""
    import streamlit as st

    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path / "runs"))  # no local runs: only what ships
    st.cache_data.clear()
    yield


@pytest.fixture
def own_run_store(tmp_path, monkeypatch):
    """A run store of the test's own, so saving to the shared store never touches the user's."""
    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path / "shared-runs"))


@pytest.fixture
def at():
    """The app, run once (Home)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def student_server(monkeypatch):
    """The app as on a classroom server bound to every interface without a teacher secret: everyone is a
    student and teacher actions are off (``server.address`` is ``localhost`` in .streamlit/config.toml, which
    makes the local user the teacher everywhere else)."""
    from streamlit import config

    monkeypatch.delenv("RESNET_VIZ_TEACHER_SECRET", raising=False)
    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    yield
    config.set_option("server.address", before)


@pytest.fixture
def secret_server(student_server, monkeypatch):
    """A classroom server with the teacher secret ``s3cret``: students until they log in."""
    monkeypatch.setenv("RESNET_VIZ_TEACHER_SECRET", "s3cret")
    return "s3cret"
