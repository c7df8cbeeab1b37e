"""Stack orchestration: a piece that does not come up is named with the tail of its log; processes are stopped."""

from __future__ import annotations

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from xml.etree import ElementTree as ET

import psutil
import pytest

from qualitygates.schema import GateConfigError
from validation.result import Result
from validation.runner import RunOptions, parse_injection, run_validation
from validation.stack import StackError, free_port, start_process, stop_process, wait_healthy


def test_piece_that_exits_is_named_with_the_tail_of_its_log(tmp_path: Path) -> None:
    proc = start_process("fake-sim", [sys.executable, "-c", "print('boom: port taken'); raise SystemExit(3)"], tmp_path)
    with pytest.raises(StackError) as info:
        wait_healthy("QloApps simulator", f"http://127.0.0.1:{free_port()}/_sim/health", 20, proc)
    message = str(info.value)
    assert message.startswith("QloApps simulator: exited with code 3")
    assert "boom: port taken" in message


def test_piece_that_never_gets_healthy_times_out_naming_it(tmp_path: Path) -> None:
    class Unhealthy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            self.send_response(503)
            self.end_headers()
            self.wfile.write(b"warming up")

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Unhealthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(StackError, match=r"agent: not healthy after 1 s .*HTTP 503: warming up"):
            wait_healthy("agent", f"http://127.0.0.1:{server.server_port}/health/ready", 1.0)
    finally:
        server.shutdown()
        server.server_close()


def test_stop_process_ends_the_whole_process_group(tmp_path: Path) -> None:
    grandchild = "import time; time.sleep(60)"
    script = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {grandchild!r}]); time.sleep(60)"
    proc = start_process("sleeper", [sys.executable, "-c", script], tmp_path)
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 10
    while not parent.children() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = parent.children()[0]
    stop_process(proc, grace=5)
    assert not proc.alive()
    child.wait(timeout=5)
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE


def test_injection_option_parses_and_refuses_garbage() -> None:
    assert parse_injection("qloapps-latency=3000ms").value_ms == 3000
    assert parse_injection("qloapps-latency=3s").value_ms == 3000
    assert parse_injection("qloapps-down").kind == "down"
    assert parse_injection("qloapps-latency=1.5s").value_ms == 1500
    with pytest.raises(GateConfigError):
        parse_injection("postgres-latency=3s")
    with pytest.raises(GateConfigError, match="unit"):
        parse_injection("qloapps-latency=3000")


def test_bad_gates_file_exits_2_before_anything_starts_and_leaves_ci_an_errored_junit_case(tmp_path: Path) -> None:
    bad = tmp_path / "gates.yaml"
    bad.write_text("version: 1\ngates:\n  - name: x\n    metric: nope\nprofiles: {}\n")
    out = tmp_path / "out"
    assert run_validation(RunOptions(gates_path=bad, out=out, live=False)) == 2
    assert not (out / "logs").exists()  # nothing was started
    result = Result.read(out / "result.json")
    assert (result.verdict, result.exit_code, result.error_kind) == ("ERROR", 2, "configuration")
    assert "unknown metric 'nope'" in result.verdict_reason
    case = ET.parse(out / "junit.xml").getroot().find(".//testcase[@name='configuration']")
    assert case is not None and "unknown metric" in case.find("error").get("message", "")
    assert (out / "summary.md").exists() and (out / "report.html").exists()


def test_external_agent_without_its_secrets_is_a_usage_error(tmp_path: Path) -> None:
    opts = RunOptions(agent_url="http://127.0.0.1:9", out=tmp_path / "out", live=False, credentials={"app_secret": "x"})
    assert run_validation(opts) == 2
    assert "--verify-token" in Result.read(tmp_path / "out" / "result.json").verdict_reason
