"""What every stage shares: the stack, the run clock, the profile, the measurements and the console."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualitygates.schema import GatesFile, Profile
from validation.gates import aborting
from validation.monitor import CpuMonitor
from validation.result import Check, FaultWindow, StageResult
from validation.runclock import RunClock
from validation.samples import E2ESample, Measurements
from validation.sender import SenderStats
from validation.stack import Stack
from validation.ui import Ui


@dataclass(frozen=True)
class Injection:
    """A fault set on a simulator for the whole load stage (`--inject qloapps-latency=3000ms`)."""

    target: str
    kind: str
    value_ms: int

    def label(self) -> str:
        return f"{self.target}-{self.kind}={self.value_ms}ms"


@dataclass
class RunContext:
    """Shared state of one validation run."""

    stack: Stack
    clock: RunClock
    config: GatesFile
    profile: Profile
    profile_name: str
    out_dir: Path
    ui: Ui
    m: Measurements = field(default_factory=Measurements)
    stage: str = "setup"
    faults: list[FaultWindow] = field(default_factory=list)
    cpu: CpuMonitor | None = None
    sender_stats: dict[str, SenderStats] = field(default_factory=dict)
    injections: list[Injection] = field(default_factory=list)
    run_tag: str = field(default_factory=lambda: f"{int(time.time()) % 100000:05d}")
    gates_path: Path = Path("quality_gates.yaml")
    load_driver: str = "locust"
    # Set when an abort_on_fail gate failed mid-run: the runner starts no further stage and the verdict is FAIL.
    aborted: str = ""
    # The observability stage's Prometheus (validation/stages/observability.py), running through the other stages.
    prometheus: Any = None

    def should_abort(self, samples: list[E2ESample]) -> bool:
        """Judge the abort_on_fail gates on the samples so far; True (and `aborted` set) once one has failed."""
        if not self.aborted:
            so_far = Measurements(e2e=samples, reply_timeout_ms=self.m.reply_timeout_ms)
            failed = aborting(self.config, so_far)
            if failed:
                self.aborted = "; ".join(f"{g.name} failed ({g.measured_text()}, {g.reason})" for g in failed)
                self.ui.log(f"abort_on_fail: {self.aborted}")
        return bool(self.aborted)

    def stage_result(
        self, name: str, started: float, checks: list[Check], detail: str = "", **figures: Any
    ) -> StageResult:
        """PASS when every check passed, FAIL otherwise."""
        status = "PASS" if all(c.passed for c in checks) else "FAIL"
        failed = [c.name for c in checks if not c.passed]
        if failed and not detail:
            detail = "failed: " + "; ".join(failed)
        return StageResult(
            name=name,
            status=status,
            started_ms=started,
            ended_ms=self.clock.now_ms(),
            detail=detail,
            checks=checks,
            figures=figures,
        )

    def guest_id(self, n: int) -> str:
        """A Spanish-looking wa_id unique to this run."""
        return f"3469{self.run_tag}{n:03d}"


def signature(secret: str, body: bytes) -> str:
    """X-Hub-Signature-256 value for a body, as Meta computes it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_envelope(phone_number_id: str, wa_id: str, wamid: str, text: str, name: str = "Guest") -> bytes:
    """A WhatsApp Cloud API text-message webhook body (the shape Meta posts)."""
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
                            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": wamid,
                                    "timestamp": str(int(time.time())),
                                    "text": {"body": text},
                                    "type": "text",
                                }
                            ],
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }
    return json.dumps(body, separators=(",", ":")).encode()
