"""Teacher and student on a classroom server, in the app: every teacher action is refused to a student with a
message that says how to enable it; the teacher logs in with the secret; folders outside the roots are refused
to the teacher too; per-session upload and request-rate limits."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.apptests import APP, shipped_pairs, why_page, your_data_page
from tests.helpers import _texts

pytestmark = pytest.mark.usefixtures("own_run_store")


def _page(path: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page(path)
    at.run()
    assert not at.exception, at.exception
    return at


def _infos(at) -> str:
    return " ".join(i.value for i in at.info)


def test_on_a_local_only_server_the_local_user_is_the_teacher():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_login_script, default_timeout=60)
    at.run()
    assert "You are the teacher" in _texts(at) and "TEACHER TOOLS" in _texts(at)
    at = your_data_page()
    at.radio(key="yd_source").set_value("folder on this server").run()
    assert [t for t in at.text_input if t.key == "yd_folder"]


@pytest.mark.usefixtures("student_server")
def test_a_student_cannot_read_server_folders(tmp_path):
    at = your_data_page()
    at.radio(key="yd_source").set_value("folder on this server").run()
    assert not at.exception, at.exception
    assert not [t for t in at.text_input if t.key == "yd_folder"]  # no way to type a path
    said = _infos(at)
    assert "Reading a folder on the server** is a teacher action" in said
    assert "RESNET_VIZ_TEACHER_SECRET" in said and "secrets.toml" in said  # how the teacher enables it
    assert "Teacher actions are off" in _texts(at)  # the sidebar says so too


@pytest.mark.usefixtures("student_server")
def test_a_student_cannot_train_into_or_stop_the_shared_store():
    at = _page("pages/degradation.py")
    assert not [b for b in at.button if b.key in ("train_now", "train_stop")]
    assert "Training into the shared run store** is a teacher action" in _infos(at)
    assert "train your own ResNet and plain twin on the Your data page" in _texts(at)
    at.selectbox(key="train_data").set_value("image folder on the server").run()
    assert not [t for t in at.text_input if t.key == "train_folder"]


@pytest.mark.usefixtures("student_server")
def test_a_student_cannot_start_lesion_jobs_or_use_server_folders_there():
    if not shipped_pairs():
        pytest.skip("no shipped twins in assets/runs")
    at = why_page()
    if "stored results" in at.radio(key="lesion_mode").options:
        at.radio(key="lesion_mode").set_value("compute now").run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.key == "lesion_run"]
    assert "Lesion study into the shared run store** is a teacher action" in _infos(at)
    at.selectbox(key="lesion_data").set_value("a folder on this server...").run()
    assert not [t for t in at.text_input if t.key == "lesion_data_folder"]
    at = why_page("Loss landscape")
    if "stored results" in at.radio(key="land_mode").options:
        at.radio(key="land_mode").set_value("compute now").run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.key == "land_run"]
    assert "Loss landscape into the shared run store** is a teacher action" in _infos(at)


def _login_script():
    import streamlit as st

    from resnet_viz.ui.access import role_box, teacher_only

    with st.sidebar:
        role_box()
    if teacher_only("Reading a folder on the server"):
        st.write("TEACHER TOOLS")


def _log_in(at, secret: str):
    at.text_input(key="teacher_secret").input(secret)
    next(b for b in at.button if "Log in" in str(b.proto.label)).click().run()
    assert not at.exception, at.exception


def test_the_teacher_logs_in_with_the_secret_and_out_again(secret_server):
    """The sidebar's login form (in a script of its own: AppTest drops the app's sidebar after the first run of a
    multipage app)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_login_script, default_timeout=60)
    at.run()
    assert "logs in under" in _infos(at) and "TEACHER TOOLS" not in _texts(at)
    _log_in(at, "wrong")
    assert any("not the teacher secret" in e.value for e in at.error)
    assert "TEACHER TOOLS" not in _texts(at)
    _log_in(at, secret_server)
    assert "TEACHER TOOLS" in _texts(at) and "Logged in as the teacher" in _texts(at)
    at.button(key="teacher_logout").click().run()
    assert "TEACHER TOOLS" not in _texts(at)
    for _ in range(5):  # five more tries a minute from one tab, then it must wait
        _log_in(at, "guess")
    assert any("Too many attempts" in e.value for e in at.error)


def test_wrong_secrets_from_many_tabs_share_one_server_wide_allowance(secret_server, monkeypatch):
    """Fresh tabs each get five tries, but the server compares at most the shared allowance's secrets: once it
    is spent, even the right secret is not checked until it refills."""
    from streamlit.testing.v1 import AppTest

    from resnet_viz.classroom.limits import TokenBucket
    from resnet_viz.ui import access

    monkeypatch.setattr(access, "_failures", TokenBucket(rate=1e-9, burst=3))
    tabs = [AppTest.from_function(_login_script, default_timeout=60) for _ in range(2)]
    for at in tabs:
        at.run()
    for at in tabs:
        _log_in(at, "guess")
    _log_in(tabs[0], "guess")
    assert all(any("not the teacher secret" in e.value for e in at.error) for at in tabs)
    _log_in(tabs[1], secret_server)  # the fourth try: the allowance is spent, the secret is not compared
    assert any("Too many wrong secrets were tried on this server" in e.value for e in tabs[1].error)
    assert "TEACHER TOOLS" not in _texts(tabs[1])
    access._failures.refund()
    _log_in(tabs[1], secret_server)
    assert "TEACHER TOOLS" in _texts(tabs[1])


def test_a_logged_in_teacher_is_still_held_to_the_roots(secret_server, tmp_path, monkeypatch):
    root, outside = tmp_path / "shared", tmp_path / "private"
    (root / "pets").mkdir(parents=True)
    (outside / "cat").mkdir(parents=True)
    (root / "escape").symlink_to(outside)
    monkeypatch.setenv("RESNET_VIZ_DATA_ROOTS", str(root))
    at = your_data_page()
    at.radio(key="yd_source").set_value("folder on this server").run()
    assert "logs in under" in _infos(at)
    assert not [t for t in at.text_input if t.key == "yd_folder"]
    at.session_state["_teacher"] = True  # what a correct secret in the login form sets
    at.run()
    for typed in ("/root", "/home", str(root / ".." / "private"), "escape", str(root / "escape" / "cat")):
        at.text_input(key="yd_folder").input(typed).run()
        assert not at.exception, at.exception
        assert any("outside the folders this server shares" in e.value for e in at.error), (typed, _texts(at))
        assert not at.get("image"), "nothing from outside the roots is shown"


def _png(seed: int, side: int = 64) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.usefixtures("student_server")
def test_uploads_past_the_session_allowance_are_refused(monkeypatch):
    first, second = _png(0), _png(1)
    monkeypatch.setenv("RESNET_VIZ_UPLOAD_MB", str((len(first) + len(second) // 2) / 1e6))
    at = _page("pages/classify_explain.py")
    at.radio(key="ce_source").set_value("upload").run()
    at.file_uploader(key="ce_upload").upload("first.png", first, "image/png").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.file_uploader(key="ce_upload").upload("second.png", second, "image/png").run()
    assert not at.exception, at.exception
    assert any("second.png" in e.value and "over this session's upload allowance" in e.value for e in at.error)


def _rate_script():
    import streamlit as st

    from resnet_viz.ui.access import check_page_rate

    check_page_rate()
    st.write("PAGE")


@pytest.mark.usefixtures("student_server")
def test_a_tab_that_asks_too_fast_is_told_to_wait(monkeypatch):
    """app.py counts every page run (in a script of its own: AppTest reruns only the page of a multipage app)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RESNET_VIZ_RUNS_PER_MIN", "2")
    at = AppTest.from_function(_rate_script, default_timeout=60)
    at.run()
    at.run()
    assert "PAGE" in _texts(at) and not at.warning
    at.run()
    assert not at.exception, at.exception
    assert "PAGE" not in _texts(at)
    assert any("faster than a shared server can answer everyone fairly (more than 2 page updates a minute)" in w.value
               for w in at.warning)


def test_the_teacher_is_not_rate_limited(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RESNET_VIZ_RUNS_PER_MIN", "1")
    at = AppTest.from_function(_rate_script, default_timeout=60)
    for _ in range(3):
        at.run()
    assert "PAGE" in _texts(at) and not at.warning
