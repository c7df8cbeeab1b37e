"""Metrics aggregate across real processes: `--workers 2` web processes plus two separate worker processes."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.agent.agent_harness import Stack, start_stack, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GUESTS = 6


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """One scrape on a fresh connection (so the kernel may hand it to either web process)."""
    text = httpx.get(url + "/metrics", timeout=10, headers={"Connection": "close"}).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def total(values: dict, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in values.items() if n == name and all((k, w) in ls for k, w in labels.items()))


def pids_in(path: Path) -> set[str]:
    return {m.group(1) for f in path.glob("*.db") if (m := re.search(r"_(\d+)\.db$", f.name))}


@pytest.fixture
def multi(tmp_path: Path, fresh_postgres_url: str, fresh_redis_url: str):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    stack = start_stack(
        tmp_path,
        fresh_postgres_url,
        fresh_redis_url,
        sim_args=["--no-rate-limits"],
        AGENT_WEB_WORKERS="2",
        AGENT_RUN_WORKER="false",
        **env,
    )
    workers = [stack.start_worker(f"worker{i}", **env) for i in range(2)]
    yield stack, workers, metrics_dir
    stack.close()


def test_every_scrape_sums_all_web_and_worker_processes_and_a_killed_worker_keeps_only_its_counts(
    multi: tuple[Stack, list, Path],
) -> None:
    stack, workers, metrics_dir = multi
    for i in range(GUESTS):
        stack.send(f"3460000{i:05d}", "hola")

    def all_replied() -> dict | None:
        values = scrape(stack.agent_url)
        return values if total(values, "hotelero_reply_latency_seconds_count") >= GUESTS else None

    wait_until(all_replied, 60, f"{GUESTS} replies counted in the reply-latency histogram")
    # Each of the 2 web and 2 worker processes has a pool with the default ceiling of 20 connections.
    wait_until(
        lambda: total(scrape(stack.agent_url), "hotelero_db_pool_max_connections") == 4 * 20, 30, "all 4 pools sampled"
    )
    # 2 web processes (plus uvicorn's parent, which serves nothing) and 2 workers wrote their values.
    assert len(pids_in(metrics_dir)) >= 4
    for _ in range(8):  # whichever web process answers, the figures are the whole agent's
        values = scrape(stack.agent_url)
        assert total(values, "hotelero_webhook_requests_total", result="ok") >= GUESTS
        assert total(values, "hotelero_reply_latency_seconds_count") == GUESTS
        assert total(values, "hotelero_messages_total", outcome="replied") == GUESTS
        assert total(values, "hotelero_worker_leases_total") == GUESTS
        assert total(values, "hotelero_build_info") == 1
        assert total(values, "hotelero_db_pool_max_connections") == 4 * 20
        assert total(values, "hotelero_dependency_up", dependency="postgres") == 1

    victim = workers[0].popen
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(10)
    after = scrape(stack.agent_url)
    # Counters of the dead process still count; its pool no longer does.
    assert total(after, "hotelero_reply_latency_seconds_count") == GUESTS
    assert total(after, "hotelero_db_pool_max_connections") == 3 * 20


def test_the_supervised_layout_shares_one_metrics_directory_without_being_told(
    tmp_path: Path, fresh_postgres_url: str, fresh_redis_url: str
) -> None:
    # `hotelero agent --web 2 --workers 1` through the environment, with no PROMETHEUS_MULTIPROC_DIR given.
    stack = start_stack(
        tmp_path,
        fresh_postgres_url,
        fresh_redis_url,
        sim_args=["--no-rate-limits"],
        AGENT_WEB_WORKERS="2",
        AGENT_WORKER_PROCESSES="1",
    )
    try:
        stack.send("346000077777", "hola")
        wait_until(
            lambda: total(scrape(stack.agent_url), "hotelero_reply_latency_seconds_count") == 1, 60, "the reply counted"
        )
        # 2 web + 1 worker pool, each with the default ceiling of 20 connections, summed in every scrape.
        wait_until(lambda: total(scrape(stack.agent_url), "hotelero_db_pool_max_connections") == 60, 30, "3 pools")
        for _ in range(6):
            values = scrape(stack.agent_url)
            assert total(values, "hotelero_db_pool_max_connections") == 3 * 20
            assert total(values, "hotelero_reply_latency_seconds_count") == 1
    finally:
        stack.close()
