"""Fixtures of the data tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch):
    """Any attempt to open a socket is a test failure unless a test overrides it."""

    def refuse(*args, **kwargs):
        raise AssertionError("tests must not touch the network")

    monkeypatch.setattr("socket.create_connection", refuse)
    monkeypatch.delenv("RESNET_VIZ_DATA", raising=False)
    monkeypatch.delenv("RESNET_VIZ_OFFLINE", raising=False)
