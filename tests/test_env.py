"""``resnet_viz.env``: the device a command asks for, the network switch, the cache folder and torch's thread
count, each read from the environment (``RESNET_VIZ_OFFLINE``, ``RESNET_VIZ_CACHE``, ``RESNET_VIZ_THREADS``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from resnet_viz import env
from tests.conftest import ROOT


@pytest.fixture
def no_accelerator(monkeypatch):
    """This machine as if it had neither CUDA nor MPS, whatever it really has."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.fixture
def restore_threads(monkeypatch):
    """``configure_threads`` as in a fresh process, and torch's thread count put back afterwards."""
    before = torch.get_num_threads()
    monkeypatch.setattr(env, "_threads_set", False)
    yield
    torch.set_num_threads(before)


def test_resolve_device_cpu():
    assert env.resolve_device("cpu") == torch.device("cpu")
    assert env.resolve_device("CPU") == torch.device("cpu")


def test_auto_falls_back_to_cpu(no_accelerator):
    for name in ("auto", "AUTO", "", None):
        assert env.resolve_device(name) == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_auto_is_cpu_on_this_machine():
    assert env.resolve_device() == torch.device("cpu")


def test_auto_prefers_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert env.resolve_device("auto") == torch.device("cuda")


def test_absent_accelerator_is_a_clear_error(no_accelerator):
    with pytest.raises(RuntimeError, match=r"--device cuda was asked for but no CUDA GPU is available"):
        env.resolve_device("cuda")
    with pytest.raises(RuntimeError, match=r"--device mps was asked for but Apple MPS is not available"):
        env.resolve_device("mps")


def test_unknown_device_names_the_choices():
    with pytest.raises(RuntimeError) as e:
        env.resolve_device("tpu")
    assert str(e.value) == "unknown device 'tpu': use auto, cpu, cuda or mps"


@pytest.mark.parametrize("value, offline", [("1", True), ("yes", True), ("TRUE", True), (" on ", True),
                                            ("", False), ("0", False), ("false", False), ("No", False)])
def test_forced_offline_honours_the_variable(monkeypatch, value, offline):
    monkeypatch.setenv("RESNET_VIZ_OFFLINE", value)
    assert env.forced_offline() is offline


def test_forced_offline_unset_is_online(monkeypatch):
    monkeypatch.delenv("RESNET_VIZ_OFFLINE", raising=False)
    assert env.forced_offline() is False


def test_offline_never_opens_a_connection(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("tried the network while offline")

    monkeypatch.setenv("RESNET_VIZ_OFFLINE", "1")
    monkeypatch.setattr(env.socket, "create_connection", refuse)
    assert env.can_reach("https://download.pytorch.org/models/x.pth") is False


def test_can_reach_caches_the_answer(monkeypatch):
    calls = []

    def unreachable(address, timeout):
        calls.append(address)
        raise OSError("no route")

    monkeypatch.setenv("RESNET_VIZ_OFFLINE", "0")
    monkeypatch.setattr(env.socket, "create_connection", unreachable)
    assert env.can_reach("https://example.org/a") is False
    assert env.can_reach("https://example.org/b") is False
    assert calls == [("example.org", 443)]


def test_cache_dir_honours_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("RESNET_VIZ_CACHE", str(tmp_path / "c"))
    assert env.cache_dir() == tmp_path / "c"


def test_cache_dir_default_is_under_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    for unset in (lambda: monkeypatch.delenv("RESNET_VIZ_CACHE"), lambda: monkeypatch.setenv("RESNET_VIZ_CACHE", "")):
        unset()
        assert env.cache_dir() == tmp_path / ".cache" / "resnet-viz"


def test_configure_threads_honours_the_variable(monkeypatch, restore_threads):
    monkeypatch.setenv("RESNET_VIZ_THREADS", "1")
    torch.set_num_threads(2)
    assert env.configure_threads() == 1 == torch.get_num_threads()


def test_configure_threads_sets_once_per_process(monkeypatch, restore_threads):
    monkeypatch.setenv("RESNET_VIZ_THREADS", "1")
    assert env.configure_threads() == 1
    torch.set_num_threads(2)  # e.g. a test or the app changed it since: a second call leaves it alone
    monkeypatch.setenv("RESNET_VIZ_THREADS", "3")
    assert env.configure_threads(4) == 2 == torch.get_num_threads()


def test_configure_threads_argument_wins_and_default_is_the_cores(monkeypatch, restore_threads):
    monkeypatch.setenv("RESNET_VIZ_THREADS", "1")
    assert env.configure_threads(2) == 2
    monkeypatch.setattr(env, "_threads_set", False)
    monkeypatch.setenv("RESNET_VIZ_THREADS", "0")
    monkeypatch.setattr(env, "cpu_count", lambda: 1)
    assert env.configure_threads() == 1


def test_cpu_count_is_the_affinity_mask(monkeypatch):
    monkeypatch.setattr(env.os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert env.cpu_count() == 3


def test_device_summary_on_cpu(no_accelerator):
    assert env.device_summary() == f"CPU: {torch.get_num_threads()} threads"


def test_folders():
    assert env.repo_root() == ROOT
    assert env.assets_dir() == ROOT / "assets" and env.assets_dir().is_dir()
    assert isinstance(env.hub_checkpoint_dir(), Path) and env.hub_checkpoint_dir().name == "checkpoints"


def test_importing_env_does_not_import_torch():
    code = "import sys, resnet_viz.env; print('torch' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stderr


def test_a_numbered_cuda_device_that_is_absent_is_an_error():
    import torch

    with pytest.raises(RuntimeError, match=f"has {torch.cuda.device_count()} CUDA GPU"):
        env.resolve_device(f"cuda:{torch.cuda.device_count()}")
