"""Preflight: the datastores' tiers (doctor), every piece healthy, and the webhook verification handshake."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import aiohttp

from validation.result import Check, StageResult
from validation.stages.context import RunContext


async def _get(session: aiohttp.ClientSession, url: str, **params: str) -> tuple[int | None, str]:
    try:
        async with session.get(url, params=params or None) as response:
            return response.status, (await response.text())[:300]
    except (aiohttp.ClientError, TimeoutError) as exc:
        return None, f"{type(exc).__name__}: {exc}"


def _doctor() -> tuple[bool, str, list[dict[str, Any]]]:
    """`hotelero doctor`'s diagnosis: can a tier serve Postgres and Redis here, and what each tier found."""
    from validation.doctor import diagnose
    from validation.services import ServicesSettings, parse_tier

    settings = ServicesSettings()
    diagnosis = diagnose(settings, parse_tier(settings.services))
    findings = [{"tier": f.tier, "check": f.check, "ok": f.ok, "detail": f.detail} for f in diagnosis.findings]
    picks = ", ".join(f"{k}: {v}" for k, v in diagnosis.picks.items()) or "none"
    errors = "; ".join(f"{k}: {v}" for k, v in diagnosis.errors.items())
    return diagnosis.can_serve, f"would pick {picks}" + (f"; {errors}" if errors else ""), findings


async def run(ctx: RunContext) -> StageResult:
    """Checks that must hold before anything is measured."""
    started = ctx.clock.now_ms()
    stack = ctx.stack
    checks: list[Check] = []
    findings: list[dict[str, Any]] = []
    try:
        can_serve, summary, findings = await asyncio.wait_for(asyncio.to_thread(_doctor), timeout=30)
        # Datastores given by URL (or an external agent) do not need a local tier.
        needed = not stack.agent_external and any(s["tier"] != "given" for s in stack.services)
        checks.append(
            Check(name="doctor: a tier serves Postgres and Redis", passed=can_serve or not needed, detail=summary)
        )
    except Exception as exc:  # noqa: BLE001 - the doctor is advisory once the stack is up
        checks.append(
            Check(
                name="doctor: a tier serves Postgres and Redis",
                passed=bool(stack.services) or stack.agent_external,
                detail=f"doctor could not run: {type(exc).__name__}: {exc}",
            )
        )
    for service in stack.services:
        checks.append(
            Check(
                name=f"{service['name']} provisioned",
                passed=True,
                detail=f"tier {service['tier']}: {service.get('description', '')}".strip(),
            )
        )
    if stack.agent_external:
        checks.append(Check(name="agent given by --agent-url", passed=True, detail=stack.agent_url))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for piece, url in (
            ("QloApps simulator", f"{stack.qloapps_url}/_sim/health"),
            ("WhatsApp simulator", f"{stack.whatsapp_url}/_sim/health"),
            ("agent live", f"{stack.agent_url}/health/live"),
            ("agent ready", f"{stack.agent_url}/health/ready"),
        ):
            status, body = await _get(session, url)
            checks.append(
                Check(name=f"{piece} healthy", passed=status == 200, detail=f"GET {url} -> {status} {body[:120]}")
            )
        challenge = str(secrets.randbelow(10**9))
        url = f"{stack.agent_url}/webhooks/whatsapp"
        status, body = await _get(
            session,
            url,
            **{"hub.mode": "subscribe", "hub.verify_token": stack.credentials.verify_token, "hub.challenge": challenge},
        )
        checks.append(
            Check(
                name="webhook verification echoes the challenge",
                passed=status == 200 and body == challenge,
                detail=f"-> {status} {body[:60]!r}",
            )
        )
        status, body = await _get(
            session,
            url,
            **{"hub.mode": "subscribe", "hub.verify_token": "wrong-" + challenge, "hub.challenge": challenge},
        )
        checks.append(
            Check(
                name="webhook verification refuses a wrong verify token",
                passed=status == 403 and challenge not in body,
                detail=f"-> {status}",
            )
        )
    return ctx.stage_result("preflight", started, checks, doctor=findings)
