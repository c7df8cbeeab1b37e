"""Without an engine the docker tests skip with the reason, except in CI, where they fail with dockerd's log."""

from __future__ import annotations

from pathlib import Path

import pytest

from .docker_engine import REQUIRE, require_engine


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    log = tmp_path / "dockerd.log"
    log.write_text("level=error msg=\"failed to start daemon: Devices cgroup isn't mounted\"\n")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("HOTELERO_DOCKERD_LOG", str(log))
    return log


def test_in_ci_a_missing_engine_fails_naming_the_socket_and_the_dockerd_error(
    no_engine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match=r"nonexistent/docker.sock.*Devices cgroup isn't mounted"):
        require_engine()


def test_elsewhere_a_missing_engine_skips_with_the_reason(no_engine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"no Docker engine answers at unix:///nonexistent"):
        require_engine()
