"""Teacher and student roles.

Students (everyone, by default) use what is scoped to their session: uploads, their own zip data, their own
training, exports. *Teacher actions* touch what every user shares: folders on the server, the shared run store
(writing, deleting, "Train now"), stopping any job, lesion and landscape computations into the store.

Who is the teacher is decided by the person who starts the server:

- a secret (``RESNET_VIZ_TEACHER_SECRET``, or ``teacher_secret`` in Streamlit's ``.streamlit/secrets.toml``,
  top level or under ``[resnet_viz]``) set: whoever types it in the sidebar is the teacher, on any interface;
- no secret, the server bound to the loopback interface only (``server.address = "localhost"``, this project's
  default in ``.streamlit/config.toml``): only the machine's own user can connect, so that user is the teacher
  (unless the request came through a reverse proxy, which makes every visitor look local);
- no secret, the server bound to other interfaces: nobody is the teacher; the app says how to enable it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

from resnet_viz.i18n import N_, _

SECRET_ENV = "RESNET_VIZ_TEACHER_SECRET"
SECRET_KEY = "teacher_secret"
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip", "x-forwarded-host")

SECRET, LOCAL, OFF = "secret", "local", "off"  # the three modes of a server

# Why a student cannot do a teacher action (``Policy.refusal``): translated where they are drawn, with ``{env}`` the
# secret's environment variable and ``{key}`` its name in secrets.toml. "Role" is the sidebar's "Role: student" box.
HOW_TO_ENABLE = N_(
    "Teacher actions are off on this server: it accepts connections from other machines and no teacher secret "
    "is set. To enable them, restart it with a secret: `{env}=... streamlit run app.py` (or "
    "`{key} = \"...\"` in `.streamlit/secrets.toml`), then log in under \"Role\" in the sidebar.")
PROXIED = N_(
    "Teacher actions are off: this request came through a proxy, so it cannot be told apart from a student's. "
    "Set a teacher secret (`{env}`) and log in under \"Role\" in the sidebar.")
LOG_IN = N_("The teacher logs in under \"Role\" in the sidebar with the secret the server was started with.")


def is_loopback(address: str | None) -> bool:
    """Whether a bind address accepts connections from this machine only (``localhost``, ``127.x``, ``::1``).
    Unset, empty, ``0.0.0.0`` and ``::`` mean every interface."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to a public interface
        return False


def teacher_secret(secrets: Mapping | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The teacher secret: the environment variable first, then ``secrets.toml`` (``teacher_secret`` at the top
    level or in a ``[resnet_viz]`` table). Empty or blank means none."""
    env = os.environ if environ is None else environ
    value = env.get(SECRET_ENV)
    if not (value and value.strip()) and secrets:
        table = secrets.get("resnet_viz")
        value = (table.get(SECRET_KEY) if isinstance(table, Mapping) else None) or secrets.get(SECRET_KEY)
    value = str(value).strip() if value is not None else ""
    return value or None


def proxied(headers: Mapping[str, str] | None) -> bool:
    """Whether a request carries a reverse proxy's forwarding headers."""
    names = {k.lower() for k in (headers or {})}
    return any(h in names for h in PROXY_HEADERS)


@dataclass(frozen=True)
class Policy:
    """How this server decides who the teacher is: ``secret`` (log in), ``local`` (loopback only, no secret: the
    local user) or ``off`` (other interfaces, no secret: nobody)."""

    secret: str | None
    address: str | None

    @property
    def mode(self) -> str:
        if self.secret:
            return SECRET
        return LOCAL if is_loopback(self.address) else OFF

    def local_teacher(self, headers: Mapping[str, str] | None = None) -> bool:
        """Whether a request is the teacher without logging in (a loopback-only server, no proxy, no secret)."""
        return self.mode == LOCAL and not proxied(headers)

    def check(self, attempt: str | None) -> bool:
        """Whether ``attempt`` is the secret (compared in constant time)."""
        if not self.secret or not attempt:
            return False
        digest = lambda s: hashlib.sha256(s.encode()).digest()  # noqa: E731 - equal lengths for compare_digest
        return hmac.compare_digest(digest(attempt.strip()), digest(self.secret))

    def refusal(self, headers: Mapping[str, str] | None = None) -> str:
        """Why a student cannot do a teacher action here, and what would enable it (in the session's language)."""
        if self.mode == SECRET:
            return _(LOG_IN)
        if self.mode == LOCAL and proxied(headers):
            return _(PROXIED, env=SECRET_ENV)
        return _(HOW_TO_ENABLE, env=SECRET_ENV, key=SECRET_KEY)
