"""The job queue on the Your data page: every job with its place, whose it is and its estimated wait; a student
stops only their own job and gets one training job at a time; the teacher stops any."""

from __future__ import annotations

import os
import time

import pytest

from resnet_viz.training import queue
from tests.apptests import APP
from tests.helpers import _texts

pytestmark = pytest.mark.usefixtures("own_run_store")
ME = "s-me"


def _queue(tmp_path) -> list[queue.Ticket]:
    """Another student's job, running; one of the teacher's, waiting; then this session's own, waiting."""
    now = time.time()
    tickets = [
        queue.Ticket("s-other", "train", "ResNet-56 and Plain-56 on own images", pid=os.getpid(), enqueued=now - 30,
                     started=now - 20, slot=0, runs=[str(tmp_path / "other-run")]),
        queue.Ticket("teacher", "probe", "Lesion study: ResNet-20", pid=os.getpid(), enqueued=now - 10),
        queue.Ticket(ME, "train", "ResNet-20 and Plain-20 on own images", pid=os.getpid(), enqueued=now - 5,
                     runs=[str(tmp_path / "my-run")]),
    ]
    for t in tickets:
        t.save()
    return tickets


def _open(session_owner: str, teacher: bool | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["_owner"] = session_owner
    if teacher is not None:
        at.session_state["_teacher"] = teacher
    at.switch_page("pages/your_data.py")
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.usefixtures("student_server")
def test_a_student_sees_the_queue_and_stops_only_their_own_job(tmp_path):
    _queue(tmp_path)
    at = _open(ME)
    assert "1 running, 2 waiting, 1 job slot on this machine" in _texts(at)
    table = next(d.value for d in at.dataframe if "whose" in d.value.columns)
    assert list(table["whose"]) == ["another student", "the teacher", "you"]
    assert list(table["place"]) == ["running", "1.", "2."]
    assert "other-run" not in _texts(at)  # nothing about the other student's data
    assert any("Your job is number 2 in the queue (1 waiting ahead of it" in i.value for i in at.info)
    picks = at.selectbox(key="yd_q_pick")
    assert picks.options == ["ResNet-20 and Plain-20 on own images (you)"]  # only their own job
    at.button(key="yd_q_stop").click().run()
    assert not at.exception, at.exception
    assert (tmp_path / "my-run" / "STOP").exists()
    assert not (tmp_path / "other-run" / "STOP").exists()


def test_the_teacher_can_stop_any_job(tmp_path):
    tickets = _queue(tmp_path)
    at = _open("s-teacher-tab")  # the local user of a localhost-only server is the teacher
    picks = at.selectbox(key="yd_q_pick")
    assert len(picks.options) == 3
    assert picks.options[0] == "ResNet-56 and Plain-56 on own images (another student)"
    picks.set_value(tickets[0].id).run()
    at.button(key="yd_q_stop").click().run()
    assert not at.exception, at.exception
    assert (tmp_path / "other-run" / "STOP").exists()


@pytest.mark.usefixtures("student_server")
def test_a_student_gets_one_training_job_at_a_time(tmp_path):
    _queue(tmp_path)
    at = _open(ME)
    at.button(key="yd_train").click().run()
    assert not at.exception, at.exception
    assert any("one job per student at a time" in w.value for w in at.warning), [w.value for w in at.warning]
    assert len(queue.tickets()) == 3  # nothing was queued


@pytest.mark.usefixtures("student_server")
def test_an_empty_queue_says_so():
    at = _open(ME)
    assert "Job queue: empty (1 job slot on this machine)." in _texts(at)
