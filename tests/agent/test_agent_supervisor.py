"""The supervisor of `hotelero agent --workers M`: restarts children that die, gives up on exits a restart cannot
mend, and stops every child it started."""

from __future__ import annotations

import os
import sys

from agent.supervisor import RESTART_MIN_S, Child, Layout, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def _child(name: str, argv: list[str]) -> Child:
    return Child(name, argv, dict(os.environ))


def test_a_child_that_dies_is_started_again_after_the_backoff_and_the_others_keep_running() -> None:
    web, worker = _child("web", SLEEPER), _child("worker-1", SLEEPER)
    sup = Supervisor([web, worker], grace_s=5)
    for child in sup.children:
        child.start()
    try:
        first_pid = worker.pid
        worker.popen.kill()  # type: ignore[union-attr]
        worker.popen.wait(5)  # type: ignore[union-attr]
        sup.tick(now=worker.started_at + 1.0)  # dead young: a restart is scheduled, not done yet
        assert not worker.alive() and worker.restart_at is not None
        assert worker.backoff_s == 2 * RESTART_MIN_S  # it died young, so the wait doubles
        sup.tick(now=worker.restart_at)
        assert worker.alive() and worker.pid != first_pid and worker.restarts == 1
        assert web.alive() and web.restarts == 0
    finally:
        sup.stop_all()
    assert not web.alive() and not worker.alive()


def test_an_exit_a_restart_cannot_mend_stops_the_supervisor_with_that_code() -> None:
    taken = _child("web", [sys.executable, "-c", "import sys; sys.exit(69)"])  # port taken
    other = _child("worker-1", SLEEPER)
    sup = Supervisor([taken, other], grace_s=5, poll_s=0.05)
    assert sup.run() == 69
    assert not other.alive() and taken.restarts == 0


def test_the_layout_runs_web_processes_without_a_worker_and_separate_workers_that_do_not_migrate() -> None:
    kids = Layout(web=2, workers=3, port=9999).children({"AGENT_X": "1"})
    assert [k.name for k in kids] == ["web", "worker-1", "worker-2", "worker-3"]
    web = kids[0]
    assert web.argv[-8:] == ["--host", "127.0.0.1", "--port", "9999", "--web", "2", "--workers", "0"]
    assert web.env["AGENT_RUN_WORKER"] == "false" and web.env["AGENT_X"] == "1"
    assert all(k.env["AGENT_MIGRATE_ON_START"] == "false" for k in kids)
    assert all(k.argv[-1] == "worker" for k in kids[1:])
