"""The docker tier against a real Docker engine (CI: its own dockerd, host networking, images built offline)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from tests.waiting import wait_until
from validation.container_reaper import LABEL, reaper_labels
from validation.services import Tier, postgres_service, redis_service
from validation.services.settings import ServicesSettings

from .docker_engine import require_engine, require_image
from .processes import sigint_as_in_a_terminal

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def settings() -> ServicesSettings:
    require_engine()
    configured = ServicesSettings()
    require_image(configured.postgres_image)
    require_image(configured.redis_image)
    return configured


def _containers(token: str) -> list[object]:
    import docker

    client = docker.from_env()
    try:
        return client.containers.list(all=True, filters={"label": f"{LABEL}={token}"})
    finally:
        client.close()


def test_docker_tier_serves_postgres_and_redis_then_removes_both_containers(settings: ServicesSettings) -> None:
    token = reaper_labels()[LABEL]
    with postgres_service("docker", settings=settings) as pg, redis_service("docker", settings=settings) as rd:
        assert pg.tier is Tier.DOCKER and rd.tier is Tier.DOCKER
        if settings.docker_network_mode == "host":
            assert pg.url.split("@")[1].startswith("127.0.0.1:") and rd.url.startswith("redis://127.0.0.1:")
        with psycopg.connect(pg.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE bookings (room int)")
            conn.execute("INSERT INTO bookings VALUES (101)")
            assert conn.execute("SELECT room FROM bookings").fetchall() == [(101,)]
        client = redis.Redis.from_url(rd.url)
        try:
            assert client.set("hold:101", "guest", nx=True, px=5000)
            assert client.config_get("appendonly")["appendonly"] == "no"
        finally:
            client.close()
        assert len(_containers(token)) == 2
    assert _containers(token) == []


_CHILD = textwrap.dedent(
    """
    import json, time
    from validation.services import postgres_service, redis_service
    from validation.container_reaper import LABEL, reaper_labels

    with postgres_service("docker") as pg, redis_service("docker") as rd:
        print(json.dumps({"token": reaper_labels()[LABEL]}), flush=True)
        time.sleep(120)
    """
)


@pytest.fixture
def provisioning_child(settings: ServicesSettings) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD],
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
    try:
        yield proc, json.loads(line)["token"]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_a_provisioning_process_stopped_by_a_signal_leaves_no_container(
    provisioning_child: tuple[subprocess.Popen[str], str], sig: signal.Signals
) -> None:
    proc, token = provisioning_child
    assert len(_containers(token)) == 2
    proc.send_signal(sig)
    proc.wait(timeout=60)
    # SIGTERM/Ctrl-C: our teardown stops them; SIGKILL: the reaper sees the pipe close and removes them.
    wait_until(lambda: _containers(token) == [], timeout=30, what=f"containers removed after {sig.name}", step=0.2)
