"""`python -m simulators.whatsapp` starts a real server, prints base URL and credentials, loads YAML config."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from simulators.whatsapp.config import load_config
from simulators.whatsapp.server import free_port


@pytest.mark.e2e
def test_module_entry_point_prints_credentials_and_serves(tmp_path: Path) -> None:
    cfg = tmp_path / "wa.yaml"
    cfg.write_text(
        "numbers:\n"
        "  - {phone_number_id: '111', display_phone_number: '15550001111'}\n"
        "  - {phone_number_id: '222', display_phone_number: '15550002222', access_token: other}\n"
        "templates:\n  - {name: hello, language: en, body_params: 1}\n"
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulators.whatsapp",
            "--port",
            str(port),
            "--config",
            str(cfg),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            # Secrets by environment: argv is readable by every user.
            "WHATSAPP_SIM_ACCESS_TOKEN": "tok",
            "WHATSAPP_SIM_APP_SECRET": "sec",
            "WHATSAPP_SIM_VERIFY_TOKEN": "vt",
        },
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/_sim/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("simulator did not start")
            time.sleep(0.1)
        health = httpx.get(f"{base}/_sim/health").json()
        assert health["phone_number_ids"] == ["111", "222"]
        ok = httpx.post(
            f"{base}/v21.0/222/messages",
            headers={"Authorization": "Bearer other"},
            json={
                "messaging_product": "whatsapp",
                "to": "34600111222",
                "type": "template",
                "template": {
                    "name": "hello",
                    "language": {"code": "en"},
                    "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}],
                },
            },
        )
        assert ok.status_code == 200, ok.text
        bad = httpx.post(f"{base}/v21.0/222/messages", headers={"Authorization": "Bearer tok"}, json={})
        assert bad.status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=15)
    assert f"WhatsApp Cloud API simulator on http://127.0.0.1:{port}" in out
    for expected in ("access token:     tok", "app secret:       sec", "verify token:     vt", "111", "222"):
        assert expected in out


def test_config_rejects_unknown_keys_and_duplicate_numbers(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("numbrs: []\n")
    with pytest.raises(ValueError, match="numbrs"):
        load_config(cfg)
    cfg.write_text("numbers:\n  - {phone_number_id: '1'}\n  - {phone_number_id: '1'}\n")
    with pytest.raises(ValueError, match="unique"):
        load_config(cfg)
