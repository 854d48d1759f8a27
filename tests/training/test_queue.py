"""The machine's job queue: slots, first come first served, one job per student, own-job-only cancel, waits."""

from __future__ import annotations

import os
import threading
import time

import pytest

from resnet_viz.runs.store import write_json
from resnet_viz.training import queue


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path))
    return tmp_path


def test_tickets_are_in_queue_order_and_positions_count_from_one():
    a = queue.enqueue("s-a", "train", "A")
    b = queue.enqueue("s-b", "train", "B")
    c = queue.enqueue("teacher", "probe", "C")
    live = queue.tickets()
    assert [t.label for t in live] == ["A", "B", "C"]
    assert [queue.position(t.id, live) for t in (a, b, c)] == [1, 2, 3]
    assert queue.position("nope", live) is None


def test_a_student_gets_one_training_job_at_a_time_the_teacher_more():
    queue.enqueue("s-a", "train", "first", one_per_owner=True)
    with pytest.raises(queue.JobRefused, match="one job per student at a time"):
        queue.enqueue("s-a", "train", "second", one_per_owner=True)
    queue.enqueue("s-b", "train", "someone else's", one_per_owner=True)  # other sessions are not affected
    queue.enqueue("teacher", "train", "t1")
    queue.enqueue("teacher", "train", "t2")  # no limit asked: the teacher queues several
    assert len(queue.tickets()) == 4


def test_a_student_can_cancel_only_their_own_job(store):
    run = store / "resnet20-x"
    t = queue.enqueue("s-a", "train", "A", runs=[str(run)])
    with pytest.raises(PermissionError, match="only your own job"):
        queue.cancel(t.id, "s-b")
    assert not (run / "STOP").exists()
    queue.cancel(t.id, "s-a")
    assert (run / "STOP").exists()
    (run / "STOP").unlink()
    queue.cancel(t.id, "s-b", teacher=True)  # the teacher stops anyone's
    assert (run / "STOP").exists()
    with pytest.raises(LookupError):
        queue.cancel("no-such-ticket", "s-a", teacher=True)


def test_the_tickets_of_dead_workers_are_dropped():
    t = queue.enqueue("s-a", "train", "A")
    queue.attach(t.id, 2**22 + 12345)  # no such process
    fresh = queue.enqueue("s-b", "train", "B")  # no worker yet, within the start-up grace
    assert [x.id for x in queue.tickets()] == [fresh.id]
    assert not t.path.exists()


def test_slots_go_first_come_first_served():
    tickets = [queue.enqueue(f"s-{i}", "train", str(i)) for i in range(3)]
    for t in tickets:
        queue.attach(t.id, os.getpid())
    order, release = [], threading.Event()

    def worker(t):
        with queue.slot(t.id, poll=0.02, slots=1) as k:
            order.append((t.label, k))
            if t.label == "0":
                release.wait(5)

    threads = []
    for t in tickets:
        threads.append(threading.Thread(target=worker, args=(t,)))
        threads[-1].start()
        time.sleep(0.1)
    time.sleep(0.3)
    assert order == [("0", 0)]  # 1 and 2 wait while 0 holds the only slot
    live = queue.tickets()
    assert [queue.position(t.id, live) for t in tickets] == [0, 1, 2]
    release.set()
    for th in threads:
        th.join(10)
    assert order == [("0", 0), ("1", 0), ("2", 0)]
    assert queue.tickets() == []  # every ticket is gone when its job ends


def test_two_slots_run_two_jobs_at_once():
    a, b = queue.enqueue("s-a", "train", "A"), queue.enqueue("s-b", "train", "B")
    with queue.slot(a.id, slots=2) as ka, queue.slot(b.id, slots=2) as kb:
        assert {ka, kb} == {0, 1}
        assert all(t.running for t in queue.tickets())


def test_a_job_cancelled_while_waiting_leaves_the_queue():
    first, second = queue.enqueue("s-a", "train", "A"), queue.enqueue("s-b", "train", "B")
    stop = threading.Event()
    with queue.slot(first.id, slots=1):
        got = []
        th = threading.Thread(target=lambda: got.append(
            queue.slot(second.id, cancelled=stop.is_set, poll=0.02, slots=1).__enter__()))
        th.start()
        time.sleep(0.1)
        stop.set()
        th.join(5)
        assert got == [None]


def test_the_slot_count_comes_from_the_environment(monkeypatch, caplog):
    monkeypatch.setenv("RESNET_VIZ_JOB_SLOTS", "3")
    assert queue.job_slots() == 3
    for bad in ("0", "two"):  # a typo in the server's environment: a warning and the default, not a crash
        monkeypatch.setenv("RESNET_VIZ_JOB_SLOTS", bad)
        caplog.clear()
        assert queue.job_slots() == 1
        assert f"RESNET_VIZ_JOB_SLOTS={bad!r}" in caplog.text
    monkeypatch.delenv("RESNET_VIZ_JOB_SLOTS")
    assert queue.job_slots() == 1  # this CPU machine


def test_a_job_whose_history_cannot_be_written_still_frees_its_slot(store, monkeypatch):
    def full_disk(ticket):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(queue, "record", full_disk)
    t = queue.enqueue("s1", "train", "a")
    with queue.slot(t.id, poll=0.01, slots=1) as k:
        assert k == 0
    assert queue.get(t.id) is None
    nxt = queue.enqueue("s2", "train", "b")
    with queue.slot(nxt.id, poll=0.01, slots=1) as k:  # the slot is free again at once
        assert k == 0


def test_estimated_waits_run_the_queue_forward(store):
    now = 1000.0
    write_json(store / "running" / "status.json", {"state": "running", "progress": 0.25})
    running = queue.Ticket("s-a", "train", "A", started=now - 60, runs=[str(store / "running")], work=100)
    w1 = queue.Ticket("s-b", "train", "B", work=200)
    w2 = queue.Ticket("s-c", "train", "C", work=100)
    (queue.queue_dir()).mkdir(parents=True, exist_ok=True)
    (queue.queue_dir() / "history.jsonl").write_text('{"kind": "train", "work": 100, "seconds": 50}\n')
    # one slot: A needs 60 s * 0.75 / 0.25 = 180 s more; B starts then and takes 200 * 0.5 = 100 s
    assert queue.schedule([running, w1, w2], slots=1, now=now) == {w1.id: 180.0, w2.id: 280.0}
    # two slots: B starts now on the free slot and ends at 100 s, before A: C takes its slot
    assert queue.schedule([running, w1, w2], slots=2, now=now) == {w1.id: 0.0, w2.id: 100.0}


def test_waits_behind_a_job_of_unknown_length_are_unknown(store):
    running = queue.Ticket("s-a", "train", "A", started=1000.0, runs=[str(store / "r")])  # no history, no work
    w = queue.Ticket("s-b", "train", "B", work=10)
    assert queue.schedule([running, w], slots=1, now=1001.0) == {w.id: None}
    assert queue.schedule([running, w], slots=2, now=1001.0) == {w.id: 0.0}


def test_a_finished_job_adds_its_speed_to_the_history(store):
    write_json(store / "r" / "status.json", {"state": "finished"})
    t = queue.Ticket("s-a", "train", "A", started=time.time() - 20, work=40, runs=[str(store / "r")])
    queue.record(t)
    assert queue.seconds_per_work("train") == pytest.approx(0.5, rel=0.05)
