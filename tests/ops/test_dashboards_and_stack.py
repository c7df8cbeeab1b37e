"""Dashboards are generated from code, and every metric the dashboards and rules query is exported by the
running stack (real agent, both simulators, and a real Prometheus evaluating the rules)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
from pathlib import Path

import aiohttp
import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.waiting import wait_until
from validation.stack import StackOptions, run_stack
from validation.stages import observability

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "ops" / "grafana"
RULES = ROOT / "ops" / "prometheus" / "hotelero.rules.yml"


def generator():  # noqa: ANN201 - the module object
    spec = importlib.util.spec_from_file_location("hotelero_dashboards", GRAFANA / "dashboards.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rule_list() -> list[dict]:
    return [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


def dashboard_queries() -> list[str]:
    out = []
    for path in sorted(GRAFANA.glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            out.extend(t["expr"] for t in panel.get("targets", []))
    return out


def split_names(exprs: list[str]) -> tuple[set[str], set[str]]:
    """(recorded series such as hotelero:x:y, raw hotelero_* series) named in PromQL expressions."""
    recorded: set[str] = set()
    raw: set[str] = set()
    for expr in exprs:
        names = set(re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]+", expr))
        recorded |= names
        for name in names:
            expr = expr.replace(name, " ")
        raw |= set(re.findall(r"\bhotelero_[a-z0-9_]+", expr))
    return recorded, raw


def test_checked_in_dashboards_are_the_generators_output() -> None:
    gen = generator()
    assert sorted(p.stem for p in GRAFANA.glob("*.json")) == sorted(gen.DASHBOARDS)
    for name in gen.DASHBOARDS:
        assert (GRAFANA / f"{name}.json").read_text() == gen.render(name), (
            f"run: .venv/bin/python {GRAFANA}/dashboards.py"
        )


def test_the_four_dashboards_exist_with_their_panels() -> None:
    titles = {json.loads(p.read_text())["title"] for p in GRAFANA.glob("*.json")}
    assert titles == {
        "hotelero · system health",
        "hotelero · performance",
        "hotelero · security events",
        "hotelero · guest experience",
    }
    for path in GRAFANA.glob("*.json"):
        panels = json.loads(path.read_text())["panels"]
        assert len(panels) >= 6 and all(p["targets"] for p in panels), path.name


def test_every_recorded_series_the_dashboards_and_alerts_read_is_recorded_by_a_rule() -> None:
    defined = {r["record"] for r in rule_list() if "record" in r}
    recorded, _ = split_names(dashboard_queries() + [r["expr"] for r in rule_list()])
    assert recorded - defined == set()


def _exported(text: str) -> set[str]:
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


async def _drive(stack) -> None:  # noqa: ANN001 - validation.stack.Stack
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        guests = {
            "346900000101": "hola",
            "346900000102": "¿Tenéis habitación doble del 10 al 12 de marzo para dos adultos?",
        }
        for wa_id, text in guests.items():
            async with http.post(
                f"{stack.whatsapp_url}/_sim/guests/{wa_id}/messages", json={"type": "text", "text": text}
            ) as r:
                assert r.status < 300, await r.text()
        for wa_id in guests:
            params = {"after": "", "timeout": "20", "settle_ms": "500"}
            async with http.get(f"{stack.whatsapp_url}/_sim/guests/{wa_id}/replies", params=params) as r:
                assert (await r.json())["replies"], f"no reply to {wa_id}"
        # A value-level error from Meta, and a forged webhook: the security counters get their first samples.
        async with http.post(f"{stack.whatsapp_url}/_sim/errors", json={"code": 131000}) as r:
            assert r.status == 202, await r.text()
        async with http.post(
            f"{stack.agent_url}/webhooks/whatsapp", data=b'{"object":"whatsapp_business_account"}'
        ) as r:
            assert r.status == 401


@pytest.mark.e2e
@pytest.mark.slow
def test_every_metric_the_dashboards_and_rules_query_is_exported_by_the_running_stack(
    tmp_path: Path, fresh_postgres_url: str, fresh_redis_url: str
) -> None:
    opts = StackOptions(out_dir=tmp_path, database_url=fresh_postgres_url, redis_url=fresh_redis_url)
    with run_stack(opts) as stack:
        prom = observability.start_prometheus(
            tmp_path / "prometheus", stack.agent_url, stack.whatsapp_url, stack.qloapps_url, 30
        )
        try:
            asyncio.run(_drive(stack))
            wait_until(
                lambda: "hotelero_webhook_errors_total{" in httpx.get(f"{stack.agent_url}/metrics").text,
                20,
                "the agent to count Meta's value-level error",
                0.5,
            )
            exported = set()
            for url in (stack.agent_url, stack.whatsapp_url, stack.qloapps_url):
                exported |= _exported(httpx.get(f"{url}/metrics", timeout=10).text)
            _, queried = split_names(dashboard_queries() + [r["expr"] for r in rule_list()])
            assert queried - exported == set(), "queried but not exported"

            def scraped_and_evaluated() -> bool:
                up = httpx.get(f"{prom.url}/api/v1/query", params={"query": "up"}).json()["data"]["result"]
                groups = httpx.get(f"{prom.url}/api/v1/rules").json()["data"]["groups"]
                rules = [r for g in groups for r in g["rules"]]
                return (
                    len(up) == 3
                    and all(float(r["value"][1]) == 1 for r in up)
                    and all(r.get("lastEvaluation", "").startswith("2") and r["health"] == "ok" for r in rules)
                )

            wait_until(scraped_and_evaluated, 30, "Prometheus to scrape all three targets and evaluate every rule", 0.5)
            # The agent's reply histogram reaches Prometheus with the replies above in it.
            count = httpx.get(
                f"{prom.url}/api/v1/query", params={"query": "sum(hotelero_reply_latency_seconds_count)"}
            ).json()["data"]["result"]
            assert count and float(count[0]["value"][1]) >= 2
        finally:
            observability.stop_process(prom.process)
