"""Per-session limits: page runs a minute, bytes uploaded."""

from __future__ import annotations

import pytest

from resnet_viz.classroom.limits import LimitExceeded, SessionLimits, TokenBucket, UploadBudget


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_a_bucket_allows_a_burst_then_the_rate():
    clock = Clock()
    b = TokenBucket(rate=1.0, burst=3, clock=clock)
    assert [b.take() for _ in range(3)] == [0, 0, 0]
    assert b.take() == pytest.approx(1.0)  # empty: one token a second
    clock.t = 0.5
    assert b.take() == pytest.approx(0.5)
    clock.t = 1.0
    assert b.take() == 0
    clock.t = 100.0  # a long pause refills to the burst, not beyond
    assert [b.take() for _ in range(4)][-1] > 0


def test_a_refund_gives_back_one_token_up_to_the_burst():
    b = TokenBucket(rate=1.0, burst=2, clock=Clock())
    assert b.take() == 0 and b.take() == 0 and b.take() > 0
    b.refund()
    assert b.take() == 0
    b.refund(), b.refund(), b.refund()  # never above the burst
    assert [b.take() for _ in range(3)][-1] > 0


def test_a_rate_below_one_a_minute_still_allows_a_page_run(monkeypatch):
    monkeypatch.setenv("RESNET_VIZ_RUNS_PER_MIN", "0.5")
    clock = Clock()
    lim = SessionLimits.from_env(clock)
    lim.page_run()  # the burst is at least one run, or no student page would ever render
    with pytest.raises(LimitExceeded):
        lim.page_run()
    clock.t = 120.0
    lim.page_run()


def test_rate_zero_is_unlimited():
    b = TokenBucket(rate=0, burst=0)
    assert all(b.take() == 0 for _ in range(1000))


def test_page_runs_past_the_rate_get_a_friendly_message(monkeypatch):
    monkeypatch.setenv("RESNET_VIZ_RUNS_PER_MIN", "60")
    clock = Clock()
    lim = SessionLimits.from_env(clock)
    for _ in range(40):  # the burst
        lim.page_run()
    with pytest.raises(LimitExceeded, match=r"more than 60 page updates a minute\). Wait 1 s"):
        lim.page_run()
    clock.t = 1.0
    lim.page_run()  # a second later there is room again


def test_bad_settings_fall_back_to_the_defaults(monkeypatch):
    monkeypatch.setenv("RESNET_VIZ_RUNS_PER_MIN", "lots")
    monkeypatch.setenv("RESNET_VIZ_UPLOAD_MB", "-3")
    lim = SessionLimits.from_env()
    assert lim.runs_per_min == 60 and lim.uploads.limit == 500_000_000
    monkeypatch.setenv("RESNET_VIZ_UPLOAD_MB", "0")
    assert SessionLimits.from_env().uploads.limit == 0


def test_uploads_count_each_file_once_and_stop_at_the_allowance():
    u = UploadBudget(limit=10_000_000)
    u.charge("a", 6_000_000, "a.zip")
    u.charge("a", 6_000_000, "a.zip")  # the same file on a rerun: not counted again
    assert u.used == 6_000_000
    with pytest.raises(LimitExceeded, match=r"b.zip \(5.0 MB\) is over this session's upload allowance: you have "
                                            r"uploaded 6.0 MB of the 10.0 MB"):
        u.charge("b", 5_000_000, "b.zip")
    assert u.used == 6_000_000  # a refused file is not counted
    u.charge("c", 4_000_000)
    assert UploadBudget(0).charge("x", 10**12) is None  # 0: no limit
