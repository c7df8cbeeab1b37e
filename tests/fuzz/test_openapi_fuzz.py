"""schemathesis against the OpenAPI documents of the served agent and both simulators: no input makes a 5xx.

Every operation of each document is fuzzed with a bounded number of generated requests (Hypothesis), against
real servers: the agent (webhooks signed with the app secret, /admin with the admin token), the WhatsApp
simulator (Graph API with the access token, /_sim/ control plane) and the QloApps simulator (webservice with the
key, /_sim/ control plane). The only 5xx allowed is the agent's documented 503 "not stored, Meta redelivers",
which needs its database to fail (it does not here), so any 5xx fails.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from agent_harness import (
    ACCESS_TOKEN,
    ADMIN_TOKEN,
    APP_SECRET,
    FakeGraph,
    Proc,
    agent_env,
    free_port,
    start_process,
    wait_until,
)
from hypothesis import HealthCheck, given, settings

from agent.signature import sign

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Bounded: examples per operation (about 45 operations, ~350 requests, about a minute on two cores).
EXAMPLES = int(os.environ.get("HOTELERO_FUZZ_EXAMPLES", "10"))
QLOAPPS_KEY = "HOTELEROSIMULATORKEY000000000000"  # the simulator's seeded key (docs/qloapps-simulator.md)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases every run: a CI failure reproduces locally
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, module_database: str, redis_url: str, module_graph: FakeGraph
) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    procs: list[Proc] = []
    urls = {name: f"http://127.0.0.1:{free_port()}" for name in ("agent", "whatsapp", "qloapps")}
    port = {name: url.rsplit(":", 1)[1] for name, url in urls.items()}
    plain = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    try:
        env = agent_env(module_database, redis_url, module_graph.url)
        procs.append(start_process([sys.executable, "-m", "agent", "--port", port["agent"]], env, tmp / "agent.log"))
        sim_env = {**plain, "WHATSAPP_SIM_ACCESS_TOKEN": ACCESS_TOKEN, "WHATSAPP_SIM_APP_SECRET": APP_SECRET}
        cmd = [sys.executable, "-m", "simulators.whatsapp", "--port", port["whatsapp"], "--no-rate-limits"]
        procs.append(start_process(cmd, sim_env, tmp / "whatsapp.log"))
        cmd = [sys.executable, "-m", "simulators.qloapps", "--port", port["qloapps"]]
        procs.append(start_process(cmd, plain, tmp / "qloapps.log"))
        for name, path in (("agent", "/health/live"), ("whatsapp", "/_sim/health"), ("qloapps", "/_sim/health")):
            wait_until(lambda u=urls[name] + path: httpx.get(u).status_code == 200, 60, f"{name} up")
        yield urls
    finally:
        for proc in procs:
            proc.stop()
        for proc in procs:
            # A 5xx the fuzzing did not see (an error logged) is still worth a look in the failure output.
            print(f"--- {proc.log.name} ---\n{proc.output()[-1500:]}")


def _schema(url: str, headers: dict[str, str]) -> Any:
    response = httpx.get(url, headers=headers, timeout=30)
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:200]}"
    return schemathesis.openapi.from_dict(response.json())


@pytest.fixture(scope="module")
def agent_schema(servers: dict[str, str]) -> Any:
    return _schema(servers["agent"] + "/admin/openapi.json", {"Authorization": f"Bearer {ADMIN_TOKEN}"})


@pytest.fixture(scope="module")
def whatsapp_schema(servers: dict[str, str]) -> Any:
    # The chat page's event stream never ends by design; its own tests read it.
    return _schema(servers["whatsapp"] + "/_sim/openapi.json", {}).exclude(path="/_sim/chat/events")


@pytest.fixture(scope="module")
def qloapps_schema(servers: dict[str, str]) -> Any:
    return _schema(servers["qloapps"] + "/_sim/openapi.json", {})


def fuzz(schema: Any, send: Callable[[Any], httpx.Response]) -> tuple[int, list[str]]:
    """Run every operation's generated cases through `send`; return (cases run, the 5xx answers seen)."""
    failures: list[str] = []
    runs = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=operation.as_strategy())
        def one(case: Any) -> None:
            nonlocal runs
            runs += 1
            response = send(case)
            if response.status_code >= 500 and len(failures) < 20:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}\n"
                    f"  reproduce: {case.as_curl_command()}"
                )

        one()
    return runs, failures


def call(case: Any, base: str, **kwargs: Any) -> httpx.Response:
    """A generated case as one HTTP request (httpx, a hang guard as timeout)."""
    transport = case.as_transport_kwargs(base_url=base)
    headers = {**(transport.get("headers") or {}), **kwargs.pop("headers", {})}
    return httpx.request(
        transport["method"],
        transport["url"],
        params=transport.get("params"),
        headers=headers,
        json=transport.get("json"),
        content=transport.get("data") if isinstance(transport.get("data"), bytes | str) else None,
        cookies=transport.get("cookies"),
        timeout=30,
        **kwargs,
    )


def test_the_agent_answers_no_request_with_a_5xx(agent_schema: Any, servers: dict[str, str]) -> None:
    base = servers["agent"]

    def send(case: Any) -> httpx.Response:
        if case.path == "/webhooks/whatsapp" and case.method == "POST":
            # Meta signs the exact bytes it sends: sign what is sent, so the fuzzing reaches parsing and storage.
            raw = json.dumps(case.body, separators=(",", ":")).encode() if case.body is not None else b""
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(APP_SECRET, raw)}
            return httpx.post(base + case.formatted_path, content=raw, headers=headers, timeout=30)
        return call(case, base, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

    runs, failures = fuzz(agent_schema, send)
    print(f"agent: {runs} cases")
    assert not failures, "\n".join(failures)


def test_the_whatsapp_simulator_answers_no_request_with_a_5xx(whatsapp_schema: Any, servers: dict[str, str]) -> None:
    token = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    runs, failures = fuzz(whatsapp_schema, lambda case: call(case, servers["whatsapp"], headers=token))
    print(f"whatsapp simulator: {runs} cases")
    assert not failures, "\n".join(failures)


def test_the_qloapps_simulator_answers_no_request_with_a_5xx(qloapps_schema: Any, servers: dict[str, str]) -> None:
    base = servers["qloapps"]

    def send(case: Any) -> httpx.Response:
        response = call(case, base, auth=(QLOAPPS_KEY, ""))
        if case.path == "/_sim/faults" and case.method == "POST":
            # An injected fault answers 5xx on purpose (that is its job): adding one is checked, then cleared.
            httpx.delete(base + "/_sim/faults", timeout=30)
        return response

    runs, failures = fuzz(qloapps_schema, send)
    print(f"qloapps simulator: {runs} cases")
    assert not failures, "\n".join(failures)


def test_every_document_was_fuzzed(agent_schema: Any, whatsapp_schema: Any, qloapps_schema: Any) -> None:
    """The documents hold the operations the fuzzing must reach (a document that lost them would pass empty)."""
    paths = {name: set(s.raw_schema["paths"]) for name, s in (("agent", agent_schema), ("wa", whatsapp_schema))}
    assert {"/webhooks/whatsapp", "/admin/handoffs"} <= paths["agent"]
    assert "/_sim/guests/{wa_id}/messages" in paths["wa"]
    assert "/api/{resource}" in qloapps_schema.raw_schema["paths"]
