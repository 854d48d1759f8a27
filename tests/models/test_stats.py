"""Parameter and FLOP counts of the zoo: the shipped file for the installed torch is read, not recomputed."""

from __future__ import annotations

import json

import pytest

import resnet_viz.models.stats as stats
from resnet_viz.models.registry import count_params, list_models


@pytest.fixture
def fresh_stats(monkeypatch):
    monkeypatch.setattr(stats, "_rows", None)  # nothing in memory: read from disk


def test_shipped_stats_file_exists_for_the_installed_torch():
    assert stats._shipped_path().is_file(), f"no shipped stats for this torch: {stats._shipped_path()}"
    assert stats.stats_cached()


def test_model_stats_reads_the_shipped_rows(fresh_stats, monkeypatch):
    def no_counting(name):
        raise AssertionError(f"{name} was counted: the shipped file should have it")

    monkeypatch.setattr(stats, "count_flops", no_counting)
    rows = stats.model_stats()
    by = {r["name"]: r for r in rows}
    assert [r["name"] for r in rows] == [m.name for m in list_models()]
    assert by["resnet50"]["params"] == 25_557_032
    assert by["resnet56"]["params"] == by["plain56"]["params"] == 853_018  # option A adds nothing
    assert by["resnet50"]["params"] > by["plain50"]["params"]  # ImageNet projections do
    assert by["resnet20"]["params"] == count_params("resnet20")
    assert set(by["resnet20"]) >= {"name", "family", "depth", "skip", "params", "flops", "input_size", "twin"}
    assert by["resnet20"]["twin"] == "plain20" and by["resnet20"]["skip"] is True
    assert stats.model_stats() is rows  # kept in memory once read


def test_a_row_missing_from_the_files_is_computed_and_cached(fresh_stats, monkeypatch, tmp_path):
    shipped = stats._shipped_path()

    rows = [r for r in json.loads(shipped.read_text()) if r["name"] != "resnet20"]
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / shipped.name).write_text(json.dumps(rows))
    monkeypatch.setattr(stats, "_shipped_path", lambda: tmp_path / "assets" / shipped.name)
    monkeypatch.setattr(stats, "_stats_path", lambda: tmp_path / "cache" / shipped.name)
    monkeypatch.setattr(stats, "count_flops", lambda name: 123)
    out = {r["name"]: r for r in stats.model_stats(in_process=True)}
    assert out["resnet20"]["flops"] == 123 and out["resnet20"]["params"] == count_params("resnet20")
    cached = json.loads((tmp_path / "cache" / shipped.name).read_text())
    assert {r["name"]: r["flops"] for r in cached}["resnet20"] == 123
