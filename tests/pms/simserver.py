"""Start the real QloApps simulator (`hotelero sim qloapps`) as a subprocess on a free 127.0.0.1 port."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from validation.stack import DEFAULT_QLOAPPS_KEY, free_port, hotelero_command, start_process, stop_process, wait_healthy


@contextlib.contextmanager
def qloapps_simulator(log_dir: Path, *args: str) -> Iterator[tuple[str, str]]:
    """Yield (base URL, webservice key) of a fresh simulator; stop it by PID afterwards."""
    port = free_port()
    proc = start_process(
        "qloapps-sim", hotelero_command("sim", "qloapps", "--host", "127.0.0.1", "--port", str(port), *args), log_dir
    )
    try:
        wait_healthy("QloApps simulator", f"http://127.0.0.1:{port}/_sim/health", 60, proc)
        yield f"http://127.0.0.1:{port}", DEFAULT_QLOAPPS_KEY
    finally:
        stop_process(proc)
