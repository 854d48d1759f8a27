"""Who this session is on a classroom server (``classroom.roles``: teacher or student), the sidebar's teacher
login, and the per-session limits (``classroom.limits``) applied to page runs and uploads.

Teacher actions call ``teacher_only(what)`` first: for a student it shows why the action is off and how the
teacher enables it, and returns False; the action's widget is then not used. The role lives in the session's
own state (server side), set only by a correct secret or by the server's own policy.
"""

from __future__ import annotations

import secrets

import streamlit as st

from resnet_viz.classroom.limits import LimitExceeded, SessionLimits, TokenBucket
from resnet_viz.classroom.roles import LOCAL, OFF, SECRET, Policy, teacher_secret
from resnet_viz.i18n import _

LOGIN_KEY, OWNER_KEY, LIMITS_KEY, LOGIN_BUCKET_KEY = "_teacher", "_owner", "_limits", "_login_bucket"
# wrong secrets of all sessions together: a brute force from many tabs is as slow as from one
_failures = TokenBucket(rate=20 / 60, burst=20)


def _secrets() -> dict | None:
    try:
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 - no secrets.toml (Streamlit raises its own FileNotFoundError kinds)
        return None


def policy() -> Policy:
    """This server's policy: its teacher secret and the address it is bound to."""
    return Policy(secret=teacher_secret(_secrets()), address=st.get_option("server.address"))


def _headers() -> dict:
    try:
        return dict(st.context.headers)
    except Exception:  # noqa: BLE001 - no request (AppTest): no proxy headers
        return {}


def is_teacher() -> bool:
    """Whether this session may do teacher actions."""
    p = policy()
    if p.mode == SECRET:
        return bool(st.session_state.get(LOGIN_KEY))
    return p.local_teacher(_headers())


def owner() -> str:
    """This session's id in the job queue (``s-`` + random hex; never shown to other sessions)."""
    return st.session_state.setdefault(OWNER_KEY, "s-" + secrets.token_hex(6))


def teacher_only(what: str) -> bool:
    """True for the teacher; for a student, a message that says why ``what`` is off here, and False. ``what`` is
    in the session's language already (the caller translates it)."""
    if is_teacher():
        return True
    # TRANSLATORS: {action} is a teacher action such as "Reading a folder on the server"; {why} says why it is off
    st.info(_("**{action}** is a teacher action. {why}", action=what, why=policy().refusal(_headers())),
            icon=":material/lock:")
    return False


def _log_in(p: Policy, attempt: str) -> None:
    bucket = st.session_state.setdefault(LOGIN_BUCKET_KEY, TokenBucket(rate=5 / 60, burst=5))
    if bucket.take() > 0:
        st.error(_("Too many attempts from this tab: wait a minute."), icon=":material/timer:")
        return
    # the server-wide allowance is taken *before* the secret is compared: many fresh tabs together get no
    # more guesses than it allows (a correct secret gives its token back)
    wait = _failures.take()
    if wait > 0:
        st.error(_("Too many wrong secrets were tried on this server in the last minute: wait {seconds:.0f} s.",
                   seconds=wait), icon=":material/timer:")
        return
    if p.check(attempt):
        _failures.refund()
        st.session_state[LOGIN_KEY] = True
        st.rerun()
    st.error(_("That is not the teacher secret."), icon=":material/key_off:")


def role_box() -> None:
    """The sidebar's role line, with the login form when the server has a secret."""
    p = policy()
    teacher = is_teacher()
    with st.expander(_("Role: teacher") if teacher else _("Role: student"),
                     icon=":material/school:" if teacher else ":material/person:"):
        if p.mode == LOCAL and teacher:
            st.caption(_("You are the teacher: this server accepts connections from this machine only. To serve a "
                         "class, start it with a teacher secret and `--server.address 0.0.0.0` (README)."))
        elif p.mode == OFF or (p.mode == LOCAL and not teacher):
            st.caption(p.refusal(_headers()))
        elif teacher:
            st.caption(_("Logged in as the teacher: server folders, the shared run store and every job."))
            if st.button(_("Log out"), key="teacher_logout"):
                st.session_state[LOGIN_KEY] = False
                st.rerun()
        else:
            st.caption(_("Students can use everything in their own session. The teacher logs in here."))
            with st.form("teacher_login", clear_on_submit=True, border=False):
                attempt = st.text_input(_("Teacher secret"), type="password", key="teacher_secret")
                if st.form_submit_button(_("Log in")):
                    _log_in(p, attempt)


def limits() -> SessionLimits:
    return st.session_state.setdefault(LIMITS_KEY, SessionLimits.from_env())


def check_page_rate() -> None:
    """Count this page run against the session's rate; past it, a message and the page stops (the teacher is
    not limited)."""
    if is_teacher():
        return
    try:
        limits().page_run()
    except LimitExceeded as e:
        st.warning(str(e), icon=":material/timer:")
        st.stop()


def upload_allowed(f) -> bool:
    """Count an uploaded file against the session's upload allowance; False (with a message) past it."""
    if f is None:
        return False
    try:
        limits().uploads.charge(getattr(f, "file_id", None) or f.name, f.size, f.name)
    except LimitExceeded as e:
        st.error(str(e), icon=":material/block:")
        return False
    return True


def server_folder_input(label: str, key: str):
    """A folder on the server, typed by the teacher: the resolved path under the allowed roots
    (``data.roots``), or None with a message (students, paths outside the roots, missing folders). ``label`` is
    in the session's language already (the caller translates it)."""
    from resnet_viz.data.roots import FolderRefused, roots_text, server_folder

    if not teacher_only(_("Reading a folder on the server")):
        st.caption(_("Students: upload a .zip of your images instead; it stays in your session."))
        return None
    # TRANSLATORS: an example of what to type: "pets" is a folder name and stays as it is
    folder = st.text_input(label, key=key, placeholder=_("pets (inside the shared folder) or a full path"),
                           help=_("Only folders under {roots} (set RESNET_VIZ_DATA_ROOTS to share others).",
                                  roots=roots_text()))
    if not folder:
        st.caption(_("Folders this server shares: {roots}. A relative path is taken inside the first.",
                     roots=roots_text()))
        return None
    try:
        return server_folder(folder)
    except FolderRefused as e:
        st.error(str(e), icon=":material/folder_off:")
        return None
