"""Headless Locust runs against real servers: what a guest feels, at a load that does not back off.

Figures here are not timed assertions on this process: latencies are measured by the simulator's clock and
compared between runs under the same conditions, with margins far wider than the effect looked for.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from load_harness import LoadRun, SimStack, run_load

pytestmark = pytest.mark.e2e


def _p50(run: LoadRun, kind: str) -> float:
    return statistics.median(r["latency_ms"] for r in run.rows if r["type"] == kind and r["ok"])


def _check_smoke(run: LoadRun) -> None:
    kinds = {r["name"] for r in run.rows}
    assert "ack" in kinds and any(k.startswith("e2e:") for k in kinds), run.output
    # One event per sample: the exact file and Locust's own stats count the same requests and failures.
    assert run.sample_counts() == run.locust_counts()
    assert run.summary["counts"]["ack"] == run.summary["counts"]["e2e"] == run.summary["offered"]
    answered = [r for r in run.rows if r["type"] == "e2e" and not r["censored"]]
    assert answered, f"no reply arrived: {run.summary['e2e']['errors']}"
    assert all(r["ok"] for r in run.rows if r["type"] == "ack"), run.summary["ack"]["errors"]


def test_smoke_run_against_the_agent_records_ack_and_e2e_samples_matching_locust(
    agent_stack: Callable[..., SimStack], tmp_path: Path
) -> None:
    sim = agent_stack(AGENT_RESPONDER="echo")
    run = run_load(sim.sim_url, tmp_path / "smoke", "--shape", "smoke", "--duration", "5s", "--no-reply-check")
    _check_smoke(run)
    assert run.summary["e2e"]["failures"] == 0, run.summary["e2e"]["errors"]


def test_smoke_run_against_the_whole_stack_with_golden_conversations(
    real_stack: Callable[..., Any], tmp_path: Path
) -> None:
    stack = real_stack(AGENT_RESPONDER="receptionist")
    golden = Path(__file__).parents[2] / "validation" / "conversations"
    run = run_load(
        stack.whatsapp_url,
        tmp_path / "smoke",
        "--shape",
        "smoke",
        "--duration",
        "5s",
        "--conversations-dir",
        str(golden),
    )
    _check_smoke(run)


def test_sample_file_agrees_with_locust_and_flags_wrong_answers(
    sim_with_fake_business: Callable[..., SimStack], tmp_path: Path
) -> None:
    sim = sim_with_fake_business("--apologise")
    run = run_load(sim.sim_url, tmp_path / "sorry", "--shape", "smoke", "--duration", "4s", "--reply-timeout", "3s")
    assert run.sample_counts() == run.locust_counts()
    e2e = [r for r in run.rows if r["type"] == "e2e"]
    assert e2e and all(not r["ok"] and r["error"].startswith("wrong answer") for r in e2e)
    # The apology did arrive, and fast: it is judged wrong, not late.
    assert all(r["latency_ms"] < 3000 and not r["censored"] for r in e2e)
    assert all(r["ok"] for r in run.rows if r["type"] == "ack")


def test_delayed_webhook_delivery_raises_e2e_by_the_delay_but_not_the_ack(
    agent_stack: Callable[..., SimStack], tmp_path: Path
) -> None:
    sim = agent_stack(AGENT_RESPONDER="echo")
    args = ("--rate", "4", "--duration", "5s", "--reply-timeout", "4s", "--no-reply-check")
    before = run_load(sim.sim_url, tmp_path / "before", *args)
    sim.faults(webhook_delay_ms=1000)
    after = run_load(sim.sim_url, tmp_path / "after", *args)
    assert before.summary["e2e"]["failures"] == after.summary["e2e"]["failures"] == 0
    rise = _p50(after, "e2e") - _p50(before, "e2e")
    assert 800 <= rise <= 1400, f"e2e p50 rose by {rise:.0f} ms"
    assert abs(_p50(after, "ack") - _p50(before, "ack")) < 150


def test_slow_agent_shows_as_latency_while_the_offered_rate_holds(
    agent_stack: Callable[..., SimStack], tmp_path: Path
) -> None:
    # The agent answers at most 2.5 messages/s (one worker, 400 ms each) against 5 messages/s offered.
    sim = agent_stack(AGENT_RESPONDER="echo", AGENT_WORKER_CONCURRENCY="1", AGENT_ECHO_DELAY_MS="400")
    run = run_load(
        sim.sim_url,
        tmp_path / "slow",
        "--rate",
        "5",
        "--duration",
        "6s",
        "--reply-timeout",
        "9s",
        "--no-reply-check",
        "--mix",
        "faq=1,availability=1",
    )
    sends = sorted(r["sent_ms"] for r in run.rows if r["type"] == "e2e")
    assert len(sends) == 30
    # Achieved: messages actually sent per second over the schedule, within 5% of the target.
    achieved = (len(sends) - 1) / ((sends[-1] - sends[0]) / 1000)
    assert abs(achieved - 5) / 5 <= 0.05, f"achieved {achieved:.2f}/s"
    assert abs(run.summary["achieved_rate_per_s"] - 5) / 5 <= 0.05
    e2e = sorted((r for r in run.rows if r["type"] == "e2e"), key=lambda r: r["intended_ms"])
    early = statistics.median(r["latency_ms"] for r in e2e[:10])
    late = statistics.median(r["latency_ms"] for r in e2e[-10:])
    assert late > early + 1500, f"latency did not grow: {early:.0f} -> {late:.0f} ms"


def test_ramp_finds_the_knee_of_an_agent_with_a_known_ceiling(
    agent_stack: Callable[..., SimStack], tmp_path: Path
) -> None:
    # One worker, 250 ms per message: the agent cannot answer more than 4 messages/s.
    sim = agent_stack(AGENT_RESPONDER="echo", AGENT_WORKER_CONCURRENCY="1", AGENT_ECHO_DELAY_MS="250")
    ceiling = 4.0
    run = run_load(
        sim.sim_url,
        tmp_path / "ramp",
        "--shape",
        "ramp",
        "--rate",
        "3",
        "--step-rate",
        "0.5",
        "--step-duration",
        "6s",
        "--max-rate",
        "6",
        "--gate-p95-ms",
        "1000",
        "--reply-timeout",
        "5s",
        "--no-reply-check",
        "--mix",
        "faq=1,availability=1",
    )
    knee = run.summary["knee"]
    assert knee["reached"], run.output
    assert abs(knee["rate_per_s"] - ceiling) / ceiling <= 0.2, run.output


def test_two_workers_split_the_schedule_and_the_master_writes_one_sample_file(
    sim_with_fake_business: Callable[..., SimStack], tmp_path: Path
) -> None:
    sim = sim_with_fake_business()
    run = run_load(
        sim.sim_url, tmp_path / "workers", "--workers", "2", "--rate", "4", "--duration", "4s", "--reply-timeout", "3s"
    )
    assert run.summary["generators"] == 2
    assert {r["worker"] for r in run.rows} == {0, 1}
    assert run.sample_counts() == run.locust_counts()
    # Together the two generators offer exactly the schedule: slot k at k/4 s, each taking every other one.
    intended = sorted(r["intended_ms"] for r in run.rows if r["type"] == "e2e")
    assert intended == [k * 250.0 for k in range(16)]
    assert run.summary["e2e"]["failures"] == 0, run.summary["e2e"]["errors"]


def _sim_get(sim: SimStack, path: str) -> Any:
    response = httpx.get(f"{sim.sim_url}{path}", timeout=5)
    response.raise_for_status()
    return response.json()


def test_a_guest_message_costs_one_send_and_one_reply_poll_and_guests_are_named_by_their_first_message(
    sim_with_fake_business: Callable[..., SimStack], tmp_path: Path
) -> None:
    sim = sim_with_fake_business()
    run = run_load(sim.sim_url, tmp_path / "calls", "--rate", "6", "--duration", "4s", "--reply-timeout", "3s")
    assert run.summary["e2e"]["failures"] == 0, run.summary["e2e"]["errors"]
    sent = run.summary["sent"]
    calls = run.summary["control_calls"]
    # No registration call: a new guest's first message carries its name. A second, immediate poll only when
    # a reply beat the simulator's record of the webhook's answer (rare; never more than one per message).
    assert calls.get("guests", 0) == 0
    assert calls["send"] == calls["replies"] == sent == 24
    assert calls.get("ack_recheck", 0) <= sent // 4
    assert not [e for e in _sim_get(sim, "/_sim/journal?kind=control")["entries"] if e.get("action") == "guest"]
    e2e = [r for r in run.rows if r["type"] == "e2e"]
    names = {g["wa_id"]: g["profile_name"] for g in _sim_get(sim, "/_sim/guests")["guests"]}
    # Every guest the run made is known to the simulator by its Faker first and last name.
    assert {r["wa_id"] for r in e2e} == set(names)
    assert all(len(name.split()) >= 2 for name in names.values()), names
    # The simulator's own delay is read per message from its timeline: exact, and inside the e2e latency.
    assert all(r["sim_dispatch_ms"] is not None and 0 <= r["sim_dispatch_ms"] <= r["latency_ms"] for r in e2e)
    assert run.summary["sim_dispatch_ms"]["count"] == len(e2e)


def test_guests_are_registered_first_when_the_simulator_does_not_create_them_on_their_first_message(
    sim_with_fake_business: Callable[..., SimStack], tmp_path: Path
) -> None:
    sim = sim_with_fake_business()
    httpx.post(f"{sim.sim_url}/_sim/settings", json={"auto_create_guests": False}, timeout=5).raise_for_status()
    run = run_load(sim.sim_url, tmp_path / "strict", "--rate", "4", "--duration", "3s", "--reply-timeout", "3s")
    assert run.summary["e2e"]["failures"] == 0, run.summary["e2e"]["errors"]
    conversations = {r["conversation"] for r in run.rows if r["type"] == "e2e"}
    calls = run.summary["control_calls"]
    # The refused first message is sent again after the registration: one extra send per new guest.
    assert calls["guests"] == len(conversations)
    assert calls["send"] == run.summary["sent"] + len(conversations)
