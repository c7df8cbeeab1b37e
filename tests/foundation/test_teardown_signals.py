"""SIGTERM and Ctrl-C to a process holding services stop its servers and remove their temp dirs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from validation.services.local import sweep_stale

from .processes import server_gone, sigint_as_in_a_terminal
from .tiers import SERVER_TIERS

pytestmark = pytest.mark.parametrize("tier", SERVER_TIERS)

_CHILD = textwrap.dedent(
    """
    import json, sys, time
    from validation.services import postgres_service, redis_service

    with postgres_service(sys.argv[1]) as pg, redis_service(sys.argv[1]) as rd:
        print(json.dumps({"pg": [pg.pid, str(pg.data_dir)], "redis": [rd.pid, str(rd.data_dir)]}), flush=True)
        time.sleep(120)
    """
)


def _provisioning_child(tier: str) -> tuple[subprocess.Popen[str], dict[str, tuple[int, Path]]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, tier],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path.cwd(),
        preexec_fn=sigint_as_in_a_terminal,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise AssertionError(f"child did not provision: {proc.stderr.read() if proc.stderr else ''}")
    started = {name: (pid, Path(path)) for name, (pid, path) in json.loads(line).items()}
    return proc, started


def test_sigterm_to_a_provisioning_process_stops_its_servers_and_removes_temp_dirs(tier: str) -> None:
    proc, started = _provisioning_child(tier)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    # 128 + SIGTERM: the handler raised, the context managers unwound, the process exited as terminated.
    assert proc.returncode == 128 + signal.SIGTERM
    for pid, data_dir in started.values():
        assert server_gone(pid, data_dir), f"server {pid} still running after SIGTERM"
        assert not data_dir.exists()


def test_ctrl_c_to_a_provisioning_process_stops_its_servers_and_removes_temp_dirs(tier: str) -> None:
    proc, started = _provisioning_child(tier)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    for pid, data_dir in started.values():
        assert server_gone(pid, data_dir), f"server {pid} still running after Ctrl-C"
        assert not data_dir.exists()


def test_sigkill_to_a_provisioning_process_takes_its_servers_down_and_the_next_run_sweeps_the_dirs(tier: str) -> None:
    proc, started = _provisioning_child(tier)
    proc.kill()
    proc.wait(timeout=30)
    # Nothing in the child ran: the kernel's parent-death signal stops both servers.
    for pid, data_dir in started.values():
        assert server_gone(pid, data_dir), f"server {pid} outlived its SIGKILLed owner"
    for name, (_pid, data_dir) in started.items():
        assert data_dir.exists()
        prefix = "hotelero-pg-" if name == "pg" else "hotelero-redis-"
        assert data_dir in sweep_stale(data_dir.parent, prefix, min_age=0)
        assert not data_dir.exists()
