"""Per-session limits on a shared server: how often a browser tab may ask for a page run, and how many bytes it
may upload. One student's runaway script (or thirty reloads a second) then slows only that student's tab.

Settings (environment, read once per session): ``RESNET_VIZ_RUNS_PER_MIN`` (default 60 page runs a minute,
in bursts of up to 40 or the rate, whichever is smaller), ``RESNET_VIZ_UPLOAD_MB`` (default 500 MB uploaded per
session, each distinct file counted once; Streamlit's ``server.maxUploadSize`` still caps each file). ``0``
switches a limit off.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from resnet_viz.i18n import _

log = logging.getLogger(__name__)

RUNS_ENV, UPLOAD_ENV = "RESNET_VIZ_RUNS_PER_MIN", "RESNET_VIZ_UPLOAD_MB"
DEFAULT_RUNS_PER_MIN, DEFAULT_BURST, DEFAULT_UPLOAD_MB = 60, 40, 500


class LimitExceeded(Exception):
    """A per-session limit was hit; the message is written for the student (in the session's language: the limits
    are checked in the session's own script run)."""


def _setting(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
        if value < 0:
            raise ValueError
        return value
    except ValueError:
        log.warning("%s=%r is not a number >= 0: using %s", name, raw, default)
        return default


class TokenBucket:
    """``rate`` requests a second on average, in bursts of up to ``burst`` (rate 0: unlimited)."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = burst, clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Spend one token: 0 when there was one, else the seconds until there will be (nothing spent)."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate

    def refund(self) -> None:
        """Give back a token that ``take`` spent (the request it was for turned out not to count)."""
        with self._lock:
            self.tokens = min(self.burst, self.tokens + 1)


def fmt_mb(n: int) -> str:
    return _("{mb:,.1f} MB", mb=n / 1e6)


class UploadBudget:
    """The bytes a session may upload in all (``limit`` bytes; 0: unlimited); a file is counted once by key."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used, self.seen = limit, 0, set()
        self._lock = threading.Lock()

    def charge(self, key: str, nbytes: int, name: str | None = None) -> None:
        """Count a new upload; ``LimitExceeded`` (with nothing counted) when it does not fit."""
        with self._lock:
            if key in self.seen:
                return
            if self.limit and self.used + nbytes > self.limit:
                raise LimitExceeded(_(
                    "{name} ({size}) is over this session's upload allowance: you have uploaded {used} of the "
                    "{limit} each session may upload on this shared server. Reuse what you have uploaded already, "
                    "or ask the teacher (who sets RESNET_VIZ_UPLOAD_MB) for more.",
                    name=name or _("this file"), size=fmt_mb(nbytes), used=fmt_mb(self.used),
                    limit=fmt_mb(self.limit)))
            self.seen.add(key)
            self.used += nbytes


@dataclass
class SessionLimits:
    """The limits of one session: its page-run bucket and its upload budget."""

    runs: TokenBucket
    uploads: UploadBudget
    runs_per_min: float

    @classmethod
    def from_env(cls, clock: Callable[[], float] = time.monotonic) -> SessionLimits:
        per_min = _setting(RUNS_ENV, DEFAULT_RUNS_PER_MIN)
        burst = max(1.0, min(DEFAULT_BURST, per_min))  # below 1 a minute the bucket would never hold a whole run
        upload = UploadBudget(int(_setting(UPLOAD_ENV, DEFAULT_UPLOAD_MB) * 1e6))
        return cls(TokenBucket(per_min / 60, burst, clock), upload, per_min)

    def page_run(self) -> None:
        """Count one page run; ``LimitExceeded`` when the tab asks faster than its share."""
        wait = self.runs.take()
        if wait > 0:
            raise LimitExceeded(_(
                "This tab is asking the server faster than a shared server can answer everyone fairly (more than "
                "{per_min:.0f} page updates a minute). Wait {seconds} s, then click again.",
                per_min=self.runs_per_min, seconds=max(1, round(wait))))
