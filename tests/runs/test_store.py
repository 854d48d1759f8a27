"""The run store: listing and deleting runs."""

from __future__ import annotations

import pytest

from resnet_viz.runs.store import delete_run, get_run, list_runs
from resnet_viz.training.config import TrainConfig
from resnet_viz.training.engine import train

SMALL = dict(data="shapes", limit_train=512, limit_test=100, batch_size=64, grad_every=2)


def test_run_store_listing_and_deleting(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path))
    train(TrainConfig(model="resnet20", epochs=1, **SMALL), tmp_path / "a")
    assert [r.name for r in list_runs(include_shipped=False)] == ["a"]
    assert get_run("a").summary()["state"] == "finished"
    delete_run("a")
    assert list_runs(include_shipped=False) == []
    with pytest.raises(FileNotFoundError):
        get_run("a")
