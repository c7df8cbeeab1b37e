"""The real Docker engine the docker-marked tests need: present, or a failure (CI) / a skip (elsewhere) saying why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from validation.services.docker_tier import image_status, probe_docker
from validation.services.processes import log_tail

# .ci/run sets it: there a missing engine or image fails the test instead of skipping it.
REQUIRE = "HOTELERO_REQUIRE_DOCKER"


def missing(reason: str) -> None:
    if os.environ.get(REQUIRE):
        pytest.fail(reason, pytrace=False)
    pytest.skip(f"{reason} (.ci/run starts an engine and builds the images)")


def require_engine() -> None:
    finding = probe_docker(timeout=5)
    if finding.ok:
        return
    reason = finding.detail
    # .ci/run's dockerd log says why the engine did not start.
    if log := os.environ.get("HOTELERO_DOCKERD_LOG"):
        reason += f"; dockerd log: {log_tail(Path(log), lines=8)}"
    missing(reason)


def require_image(image: str) -> None:
    status = image_status(image)
    if status != "present" and "pullable:" not in status:
        missing(f"image {image}: {status}; build it with `hotelero images build`")
