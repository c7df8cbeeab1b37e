"""The pytest plugin's fixtures: real servers, fresh isolated databases, lazy provisioning."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis

from .processes import server_gone


@pytest.mark.parametrize("visit", [1, 2])
def test_fresh_postgres_url_is_an_empty_database_of_its_own(
    fresh_postgres_url: str, postgres_url: str, visit: int
) -> None:
    assert urlsplit(fresh_postgres_url).path != urlsplit(postgres_url).path
    with psycopg.connect(fresh_postgres_url, autocommit=True) as conn:
        # The other visit created this table in its own database: here it must not exist.
        assert conn.execute("SELECT to_regclass('public.bookings')").fetchone() == (None,)
        conn.execute("CREATE TABLE bookings (ref text)")
        conn.execute("INSERT INTO bookings VALUES (%s)", (f"visit-{visit}",))


@pytest.mark.parametrize("visit", [1, 2])
def test_fresh_redis_url_is_a_flushed_db_apart_from_the_session_db(
    fresh_redis_url: str, redis_url: str, visit: int
) -> None:
    session = redis.Redis.from_url(redis_url)
    fresh = redis.Redis.from_url(fresh_redis_url)
    try:
        session.set("session-key", "kept")
        assert fresh.dbsize() == 0
        fresh.set("guest:34600000001", f"visit-{visit}")
        assert session.get("session-key") == b"kept"
        assert session.get("guest:34600000001") is None
    finally:
        session.close()
        fresh.close()


def _run_inner_pytest(tmp_path: Path, files: dict[str, str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    for name, body in files.items():
        (tmp_path / name).write_text(textwrap.dedent(body))
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HOTELERO_")} | env
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_servers_start_only_for_tests_that_ask_and_fresh_databases_copy_the_migrated_template(
    tmp_path: Path,
) -> None:
    result = _run_inner_pytest(
        tmp_path,
        {
            "conftest.py": """
                import psycopg, pytest

                LEFT_OPEN = []

                @pytest.fixture(scope="session")
                def postgres_template_url(postgres_template_url):
                    conn = psycopg.connect(postgres_template_url, autocommit=True)
                    conn.execute("CREATE TABLE rooms (number int)")
                    conn.execute("INSERT INTO rooms VALUES (101)")
                    # Left open on purpose: the plugin must still be able to copy the template.
                    LEFT_OPEN.append(conn)
                    return postgres_template_url
            """,
            "test_inner.py": """
                import psutil, psycopg
                from urllib.parse import urlsplit

                SEEN = []

                def test_asks_for_nothing():
                    # Runs first: no fixture requested yet, so no server may have been started.
                    assert psutil.Process().children(recursive=True) == []

                def test_first(fresh_postgres_url):
                    with psycopg.connect(fresh_postgres_url, autocommit=True) as conn:
                        assert conn.execute("SELECT number FROM rooms").fetchall() == [(101,)]
                        conn.execute("INSERT INTO rooms VALUES (102)")
                    SEEN.append(urlsplit(fresh_postgres_url).path.lstrip("/"))

                def test_second(fresh_postgres_url, postgres_url):
                    with psycopg.connect(fresh_postgres_url) as conn:
                        assert conn.execute("SELECT number FROM rooms").fetchall() == [(101,)]
                    with psycopg.connect(postgres_url) as conn:
                        left = conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", SEEN).fetchone()
                        assert left == (0,)
            """,
        },
        {"HOTELERO_SERVICES": "embedded"},
    )
    assert "3 passed" in result.stdout, result.stdout + result.stderr


def test_sigterm_to_a_pytest_run_tears_its_servers_down(tmp_path: Path) -> None:
    marker = tmp_path / "started.json"
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            f"""
            import json, time

            def test_holds_services(hotelero_postgres, hotelero_redis):
                handles = [hotelero_postgres, hotelero_redis]
                with open({str(marker)!r}, "w") as out:
                    json.dump([[h.pid, str(h.data_dir)] for h in handles], out)
                time.sleep(120)
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTELERO_")} | {"HOTELERO_SERVICES": "embedded"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() or not marker.read_text():
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            if time.monotonic() > deadline:
                raise TimeoutError("inner pytest never provisioned")
            time.sleep(0.1)
        started = json.loads(marker.read_text())
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    # pytest reports an interrupted session (exit 2) after tearing fixtures down.
    assert proc.returncode == 2, output
    for pid, data_dir in started:
        assert server_gone(pid, Path(data_dir)), f"server {pid} survived SIGTERM to pytest"
        assert not Path(data_dir).exists()
