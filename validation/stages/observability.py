"""Observability: a real Prometheus with the project's rules watches the whole run, then the stage judges it.

`begin` starts /usr/bin/prometheus on 127.0.0.1 before the first stage, scraping the agent and both
simulators every second and evaluating ops/prometheus/hotelero.rules.yml every second; `run` (after the load
and resilience stages) checks that every target was scraped and every rule evaluated without error, that the
PMS outage resilience injected fired the PMS alert within its `for:` window and that it resolved after the
recovery, and that Prometheus' reply-latency p95 over the load stage agrees with the harness's raw-sample p95
within the histogram's bucket error. `end` stops Prometheus however the run ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiohttp
import yaml

from agent.metrics import REPLY_BUCKETS
from qualitygates.durations import parse_duration
from qualitygates.stats import percentile
from validation.result import Check, StageResult
from validation.services.ports import free_port
from validation.stack import ManagedProcess, StackError, start_process, stop_process, wait_healthy
from validation.stages.context import RunContext

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "ops" / "prometheus" / "hotelero.rules.yml"
SCRAPE_S = 1.0
EVALUATION_S = 1.0
PMS_ALERT = "HoteleroPMSCircuitOpen"
# From the first QloApps failure to the breaker opening (5 consecutive failures at the stage's guest rate).
DETECTION_SLACK_S = 5.0
RESOLVE_WAIT_S = 60.0
JOBS = {"hotelero-agent": "agent", "whatsapp-simulator": "WhatsApp simulator", "qloapps-simulator": "QloApps simulator"}


@dataclass
class Prometheus:
    """A Prometheus server we started for this run."""

    url: str
    process: ManagedProcess
    rule_fors: dict[str, float] = field(default_factory=dict)

    async def query(self, session: aiohttp.ClientSession, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": expr} | ({"time": f"{at:.3f}"} if at is not None else {})
        async with session.get(f"{self.url}/api/v1/query", params=params) as response:
            body = await response.json()
        if body.get("status") != "success":
            raise RuntimeError(f"Prometheus query {expr!r} failed: {body.get('error')}")
        return body["data"]["result"]

    async def query_range(
        self, session: aiohttp.ClientSession, expr: str, start: float, end: float, step: float
    ) -> list[dict[str, Any]]:
        params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        async with session.get(f"{self.url}/api/v1/query_range", params=params) as response:
            body = await response.json()
        if body.get("status") != "success":
            raise RuntimeError(f"Prometheus range query {expr!r} failed: {body.get('error')}")
        return body["data"]["result"]


def prometheus_binary() -> str:
    """Debian's prometheus, or whichever is on PATH."""
    found = shutil.which("prometheus")
    if found is None:
        raise StackError("prometheus", "not installed: apt-get install prometheus (the stage runs the real server)")
    return found


def _target(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.hostname}:{parsed.port}"


def write_config(folder: Path, agent_url: str, whatsapp_url: str, qloapps_url: str) -> Path:
    """prometheus.yml for this stack: 1 s scrapes and rule evaluations, the project's rules."""
    config = {
        "global": {"scrape_interval": f"{SCRAPE_S:g}s", "evaluation_interval": f"{EVALUATION_S:g}s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [_target(url)]}]}
            for job, url in (
                ("hotelero-agent", agent_url),
                ("whatsapp-simulator", whatsapp_url),
                ("qloapps-simulator", qloapps_url),
            )
        ],
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def alert_fors() -> dict[str, float]:
    """Each alert's `for:` in seconds, read from the rules file."""
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {
        r["alert"]: parse_duration(str(r.get("for", "0s"))) if r.get("for") else 0.0
        for g in groups
        for r in g["rules"]
        if "alert" in r
    }


def start_prometheus(folder: Path, agent_url: str, whatsapp_url: str, qloapps_url: str, timeout: float) -> Prometheus:
    """Start Prometheus on a free 127.0.0.1 port, its data and log under `folder`; wait until it is ready."""
    config = write_config(folder, agent_url, whatsapp_url, qloapps_url)
    port = free_port()
    process = start_process(
        "prometheus",
        [
            prometheus_binary(),
            f"--config.file={config}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1d",
            "--log.level=warn",
        ],
        folder.parent / "logs",
    )
    process.port = port
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy("Prometheus", f"{url}/-/ready", timeout, process)
    except StackError:
        stop_process(process)
        raise
    return Prometheus(url=url, process=process, rule_fors=alert_fors())


async def begin(ctx: RunContext) -> None:
    """Start Prometheus before the first stage so it sees the whole run."""
    s = ctx.stack
    try:
        ctx.prometheus = await asyncio.to_thread(
            start_prometheus, ctx.out_dir / "prometheus", s.agent_url, s.whatsapp_url, s.qloapps_url, 30.0
        )
    except StackError as exc:  # the stage then fails and says why; the other stages still run
        ctx.prometheus = str(exc)
        ctx.ui.log(f"observability: {exc}")
        return
    ctx.ui.log(f"observability: Prometheus on {ctx.prometheus.url} scraping the agent and both simulators")


async def end(ctx: RunContext) -> None:
    """Stop Prometheus (its data stays under <out>/prometheus for a look afterwards)."""
    if isinstance(ctx.prometheus, Prometheus):
        await asyncio.to_thread(stop_process, ctx.prometheus.process)


# ---- judging ------------------------------------------------------------------------------------------------


@dataclass
class AlertEpisode:
    """One firing of an alert, in wall-clock seconds and on the run clock."""

    name: str
    fired_unix: float
    resolved_unix: float | None

    def as_dict(self, wall_t0: float) -> dict[str, Any]:
        return {
            "name": self.name,
            "fired_ms": round((self.fired_unix - wall_t0) * 1000.0, 1),
            "resolved_ms": round((self.resolved_unix - wall_t0) * 1000.0, 1) if self.resolved_unix else None,
        }


def episodes(name: str, values: list[list[Any]], step: float, firing_now: bool) -> list[AlertEpisode]:
    """Firing episodes from a range query of ALERTS{alertstate="firing"}: a gap longer than a step ends one.

    An episode ends at the first evaluation without the alert, unless the alert is `firing_now`.
    """
    found: list[AlertEpisode] = []
    start = prev = None
    for t in sorted(float(t) for t, _ in values):
        if start is None:
            start = prev = t
        elif t - prev > step * 1.5:
            found.append(AlertEpisode(name, start, prev + step))
            start = t
        prev = t
    if start is not None:
        found.append(AlertEpisode(name, start, None if firing_now else prev + step))
    return found


async def firing_episodes(prom: Prometheus, session: aiohttp.ClientSession, since: float) -> list[AlertEpisode]:
    now = time.time()
    current = {r["metric"].get("alertname") for r in await prom.query(session, 'ALERTS{alertstate="firing"}', at=now)}
    rows = await prom.query_range(session, 'ALERTS{alertstate="firing"}', since, now, EVALUATION_S)
    out: list[AlertEpisode] = []
    for row in rows:
        name = row["metric"].get("alertname", "?")
        out.extend(episodes(name, row["values"], EVALUATION_S, name in current))
    return sorted(out, key=lambda e: e.fired_unix)


def bucket_of(value_s: float, bounds: tuple[float, ...] = REPLY_BUCKETS) -> tuple[float, float]:
    """The histogram bucket (lower, upper] holding `value_s`."""
    lower = 0.0
    for upper in bounds:
        if value_s <= upper:
            return lower, upper
        lower = upper
    return lower, float("inf")


def p95_agreement(prom_s: float, raw_s: float) -> tuple[bool, float]:
    """Agree when they differ by no more than the width of the bucket either falls in (the histogram's error)."""
    widths = [hi - lo for lo, hi in (bucket_of(prom_s), bucket_of(raw_s))]
    bound = max(widths)
    return abs(prom_s - raw_s) <= bound, bound


async def _wait_for_resolution(prom: Prometheus, session: aiohttp.ClientSession, name: str, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        rows = await prom.query(session, f'ALERTS{{alertname="{name}",alertstate="firing"}}')
        if not rows:
            return
        await asyncio.sleep(EVALUATION_S)


def _pms_fault(ctx: RunContext) -> tuple[float, float] | None:
    """(start, restored) in unix seconds of the PMS outage resilience injected, if it ran."""
    for fault in ctx.faults:
        if fault.name.startswith(("pms", "qloapps")):
            return ctx.clock.wall_t0 + fault.start_ms / 1000.0, ctx.clock.wall_t0 + fault.end_ms / 1000.0
    return None


async def _check_targets_and_rules(prom: Prometheus, session: aiohttp.ClientSession) -> list[Check]:
    up = {r["metric"].get("job"): float(r["value"][1]) for r in await prom.query(session, "up")}
    checks = [
        Check(
            name=f"Prometheus scrapes the {what}",
            passed=up.get(job) == 1.0,
            detail=f"up{{job={job!r}}} = {up.get(job)}",
        )
        for job, what in JOBS.items()
    ]
    async with session.get(f"{prom.url}/api/v1/rules") as response:
        groups = (await response.json())["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    broken = [f"{r['name']}: {r.get('lastError')}" for r in rules if r.get("health") != "ok"]
    checks.append(
        Check(
            name="every rule evaluates without error",
            passed=bool(rules) and not broken,
            detail=f"{len(rules)} rules loaded" + (f"; failing: {'; '.join(broken[:5])}" if broken else ""),
        )
    )
    return checks


async def _check_pms_alert(
    ctx: RunContext, prom: Prometheus, session: aiohttp.ClientSession, figures: dict[str, Any]
) -> list[Check]:
    fault = _pms_fault(ctx)
    if fault is None:
        return [
            Check(name=f"{PMS_ALERT} fires during the PMS outage", passed=False, detail="no PMS fault was injected")
        ]
    start, restored = fault
    await _wait_for_resolution(prom, session, PMS_ALERT, RESOLVE_WAIT_S)
    found = await firing_episodes(prom, session, ctx.clock.wall_t0)
    figures["alerts"] = [e.as_dict(ctx.clock.wall_t0) for e in found]
    during = [e for e in found if e.name == PMS_ALERT and e.fired_unix >= start]
    for_s = prom.rule_fors.get(PMS_ALERT, 0.0)
    allowed = for_s + SCRAPE_S + EVALUATION_S + DETECTION_SLACK_S
    if not during:
        return [
            Check(
                name=f"{PMS_ALERT} fires during the PMS outage",
                passed=False,
                detail=f"never fired in the {restored - start:.0f} s outage (its for: is {for_s:g} s)",
            )
        ]
    episode = during[0]
    fire_delay = episode.fired_unix - start
    resolve_delay = episode.resolved_unix - restored if episode.resolved_unix else None
    figures["pms_alert"] = {
        "name": PMS_ALERT,
        "for_s": for_s,
        "fire_delay_s": round(fire_delay, 1),
        "fire_allowed_s": allowed,
        "resolve_delay_s": round(resolve_delay, 1) if resolve_delay is not None else None,
    }
    return [
        Check(
            name=f"{PMS_ALERT} fires within its for: window of the PMS outage",
            passed=fire_delay <= allowed,
            detail=f"fired {fire_delay:.1f} s after the outage began (for: {for_s:g} s + scrape {SCRAPE_S:g} s "
            f"+ evaluation {EVALUATION_S:g} s + breaker detection {DETECTION_SLACK_S:g} s = {allowed:g} s allowed)",
        ),
        Check(
            name=f"{PMS_ALERT} resolves after QloApps is restored",
            passed=resolve_delay is not None,
            detail=f"resolved {resolve_delay:.1f} s after restoration"
            if resolve_delay is not None
            else f"still firing {RESOLVE_WAIT_S:.0f} s after the stage began waiting",
        ),
    ]


async def _check_p95(
    ctx: RunContext, prom: Prometheus, session: aiohttp.ClientSession, figures: dict[str, Any]
) -> list[Check]:
    window = ctx.m.windows.get("load")
    name = "Prometheus reply-latency p95 agrees with the raw samples within the bucket error"
    if window is None or window.seconds < 1:
        return [Check(name=name, passed=False, detail="the load stage did not run")]
    raw = [
        s.latency_ms / 1000.0
        for s in ctx.m.e2e
        if s.stage == "load"
        and s.ok
        and not s.warmup
        and s.latency_ms is not None
        and window.start_ms <= s.intended_ms <= window.end_ms
    ]
    if not raw:
        return [Check(name=name, passed=False, detail="no answered load-stage samples")]
    end = ctx.clock.wall_t0 + window.end_ms / 1000.0
    seconds = max(1, round(window.seconds))
    expr = (
        "histogram_quantile(0.95, sum by (le) "
        f'(increase(hotelero_reply_latency_seconds_bucket{{job="hotelero-agent"}}[{seconds}s])))'
    )
    rows = await prom.query(session, expr, at=end)
    if not rows:
        return [Check(name=name, passed=False, detail="Prometheus has no reply-latency histogram for the load stage")]
    prom_p95 = float(rows[0]["value"][1])
    raw_p95 = percentile(raw, 95)
    agree, bound = p95_agreement(prom_p95, raw_p95)
    figures["reply_p95"] = {
        "prometheus_s": round(prom_p95, 4),
        "raw_s": round(raw_p95, 4),
        "bucket_error_s": round(bound, 4),
        "samples": len(raw),
        "window_s": seconds,
    }
    return [
        Check(
            name=name,
            passed=agree,
            detail=f"Prometheus {prom_p95 * 1000:.1f} ms vs raw {raw_p95 * 1000:.1f} ms over {len(raw)} replies "
            f"(allowed difference {bound * 1000:.0f} ms: the width of the bucket holding either)",
        )
    ]


async def run(ctx: RunContext) -> StageResult:
    started = ctx.clock.now_ms()
    prom = ctx.prometheus
    if not isinstance(prom, Prometheus):
        detail = prom or "not started (the runner did not call begin)"
        return ctx.stage_result(
            "observability", started, [Check(name="Prometheus running", passed=False, detail=detail)]
        )
    figures: dict[str, Any] = {"prometheus": prom.url, "scrape_s": SCRAPE_S, "evaluation_s": EVALUATION_S}
    # Let the last scrapes of the previous stage land and the rules see them.
    await asyncio.sleep(SCRAPE_S + EVALUATION_S)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        checks = await _check_targets_and_rules(prom, session)
        checks += await _check_p95(ctx, prom, session, figures)
        checks += await _check_pms_alert(ctx, prom, session, figures)
        if "alerts" not in figures:
            with contextlib.suppress(aiohttp.ClientError, RuntimeError):
                figures["alerts"] = [
                    e.as_dict(ctx.clock.wall_t0) for e in await firing_episodes(prom, session, ctx.clock.wall_t0)
                ]
    pms = figures.get("pms_alert") or {}
    detail = (
        f"{PMS_ALERT} fired {pms.get('fire_delay_s')} s into the outage, resolved {pms.get('resolve_delay_s')} s "
        "after recovery"
        if pms
        else ""
    )
    return ctx.stage_result("observability", started, checks, detail=detail, **figures)
