"""The Home page's story lines: once-per-process memo, the parameter line from the shipped stats, the takeaways."""

from __future__ import annotations

import pytest

import resnet_viz.lessons.home as home


def test_once_memoises_until_cleared_and_does_not_remember_errors():
    calls = []

    @home._once
    def line():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first call fails")
        return f"call {len(calls)}"

    with pytest.raises(RuntimeError):
        line()
    assert not line.ready()
    assert line() == "call 2" and line() == "call 2" and line.ready()
    line.cache_clear()
    assert not line.ready() and line() == "call 3"


def test_architecture_line_from_the_shipped_stats_and_peek():
    home.architecture_line.cache_clear()
    try:
        assert home.peek("architecture_line") == (False, None)  # not measured yet, not failed
        text = home.architecture_line()
        assert text == ("Plain-56 and ResNet-56 both have 853,018 parameters (exactly the same): the skip connection "
                        "is only the `+ x`.")
        assert home.peek("architecture_line") == (True, text)
    finally:
        home.architecture_line.cache_clear()


def test_architecture_line_when_the_counts_differ(monkeypatch):
    monkeypatch.setattr(home, "param_count", {"plain56": 100, "resnet56": 150}.get)
    home.architecture_line.cache_clear()
    try:
        assert home.architecture_line() == "Plain-56 has 100 parameters and ResNet-56 150: the shortcuts add 50."
    finally:
        home.architecture_line.cache_clear()


def test_param_count_reads_the_stats_file_and_falls_back_to_counting(monkeypatch):
    assert home.param_count("resnet50") == 25_557_032
    shipped = home.param_count("resnet20")
    monkeypatch.setattr(home, "_stats_params", lambda: {})
    assert home.param_count("resnet20") == shipped == 269_722  # counted on the meta device: the same number


def test_peek_of_a_failed_step_is_known_without_a_line(monkeypatch):
    monkeypatch.setattr(home, "_failed", {"lesion_line"})
    home.lesion_line.cache_clear()
    assert home.peek("lesion_line") == (True, None)


def test_params_takeaway_says_whether_they_are_the_same():
    assert "has 853,018 parameters and its plain twin Plain-56 has 853,018: exactly the same." in \
        home.params_takeaway(853018, 853018)
    assert "Plain-56 has 1,000: not the same." in home.params_takeaway(1001, 1000)


def test_missing_weights_line_online_and_offline():
    assert home.missing_weights_line(2, 9, True, "/hub") == \
        "2 of 9 weight files are downloaded automatically the first time a page needs them."
    off = home.missing_weights_line(9, 9, False, "/hub/checkpoints")
    assert off.startswith("9 of 9 weight files are missing: this machine is offline. Copy the files into "
                          "`/hub/checkpoints`")
