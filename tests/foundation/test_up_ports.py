"""`hotelero up` serves on the documented ports 8080-8082 and falls back, saying so, when one is taken."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from simulators.qloapps.config import DEFAULT_API_KEY
from validation.services.ports import port_is_free

from .processes import sigint_as_in_a_terminal

DOCUMENTED = {"agent": 8080, "QloApps simulator": 8081, "WhatsApp simulator": 8082}


def test_port_is_free_tells_a_listening_port_from_a_free_one() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        assert not port_is_free(taken)
    assert port_is_free(taken)


@pytest.fixture
def hold_8081() -> Iterator[None]:
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", 8081))
    except OSError:
        pass  # someone else on this machine holds it: the fallback is exercised all the same
    else:
        sock.listen()
    yield
    sock.close()


@pytest.mark.e2e
@pytest.mark.slow
def test_up_uses_the_documented_ports_and_falls_back_when_one_is_taken(hold_8081: None, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTELERO_")}
    env |= {"HOTELERO_SERVICES": "embedded", "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "validation.cli", "up", "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        preexec_fn=sigint_as_in_a_terminal,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Stack is up" in line or "did not come up" in line:
                break
        output = "".join(lines)
        assert "Stack is up" in output, output
        assert "port 8081 is taken: the QloApps simulator uses :" in output
        for what, port in DOCUMENTED.items():
            fallback = re.search(rf"port {port} is taken: the {what} uses :(\d+) instead", output)
            served = int(fallback[1]) if fallback else port
            assert f"on :{served}" in output, output
        qloapps = re.search(r"QloApps simulator uses :(\d+)", output)
        assert qloapps is not None
        answer = httpx.get(f"http://127.0.0.1:{qloapps[1]}/api/hotels", auth=(DEFAULT_API_KEY, ""), timeout=5)
        assert answer.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
