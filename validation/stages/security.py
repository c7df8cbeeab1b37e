"""Security smoke: unsigned and forged webhooks refused and not stored, redelivery answered once, admin locked."""

from __future__ import annotations

import asyncio
import secrets

import aiohttp

from validation.result import Check, StageResult
from validation.stages import simctl
from validation.stages.context import RunContext, signature, webhook_envelope

SETTLE_S = 3.0
ADMIN_PATH = "/admin/handoffs"


async def _post(session: aiohttp.ClientSession, url: str, body: bytes, sig: str | None) -> int | None:
    headers = {"Content-Type": "application/json"}
    if sig is not None:
        headers["X-Hub-Signature-256"] = sig
    try:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            return response.status
    except (aiohttp.ClientError, TimeoutError):
        return None


async def _transcript_status(session: aiohttp.ClientSession, agent_url: str, guest: str, token: str) -> int | None:
    """404 means the agent has no record of the guest at all."""
    url = f"{agent_url}/admin/conversations/{guest}/transcript"
    try:
        async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
            await response.read()
            return response.status
    except (aiohttp.ClientError, TimeoutError):
        return None


async def run(ctx: RunContext) -> StageResult:
    """Each check posts real webhook bytes to the agent and reads the WhatsApp simulator to see what it did."""
    started = ctx.clock.now_ms()
    stack = ctx.stack
    creds = stack.credentials
    hook = f"{stack.agent_url}/webhooks/whatsapp"
    checks: list[Check] = []
    unsigned_guest, forged_guest, redeliver_guest, control_guest = (ctx.guest_id(n) for n in (901, 902, 903, 904))
    text = "Hola, ¿a qué hora es el check-in?"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        for guest in (unsigned_guest, forged_guest, redeliver_guest, control_guest):
            await simctl.register_guest(session, stack.whatsapp_url, guest)

        def wamid() -> str:
            return "wamid.HBgL" + secrets.token_hex(16).upper()

        body = webhook_envelope(creds.phone_number_id, unsigned_guest, wamid(), text)
        status = await _post(session, hook, body, None)
        checks.append(Check(name="unsigned webhook gets 401", passed=status == 401, detail=f"-> {status}"))
        body = webhook_envelope(creds.phone_number_id, forged_guest, wamid(), text)
        status = await _post(session, hook, body, signature("not-the-app-secret", body))
        checks.append(Check(name="forged webhook gets 401", passed=status == 401, detail=f"-> {status}"))

        redelivered = webhook_envelope(creds.phone_number_id, redeliver_guest, wamid(), text)
        first = await _post(session, hook, redelivered, signature(creds.app_secret, redelivered))
        await asyncio.sleep(0.3)
        second = await _post(session, hook, redelivered, signature(creds.app_secret, redelivered))
        control = webhook_envelope(creds.phone_number_id, control_guest, wamid(), text)
        once = await _post(session, hook, control, signature(creds.app_secret, control))
        checks.append(
            Check(
                name="signed webhook and its redelivery both get 200",
                passed=(first, second, once) == (200, 200, 200),
                detail=f"first {first}, redelivery {second}, control {once}",
            )
        )

        await asyncio.sleep(SETTLE_S)
        unsigned_out = await simctl.business_messages(session, stack.whatsapp_url, unsigned_guest)
        forged_out = await simctl.business_messages(session, stack.whatsapp_url, forged_guest)
        checks.append(
            Check(
                name="refused webhooks get no reply",
                passed=not unsigned_out and not forged_out,
                detail=f"replies to unsigned: {len(unsigned_out)}, to forged: {len(forged_out)}",
            )
        )
        stored = {}
        for label, guest in (("unsigned", unsigned_guest), ("forged", forged_guest), ("signed", control_guest)):
            stored[label] = await _transcript_status(session, stack.agent_url, guest, creds.admin_token)
        checks.append(
            Check(
                name="refused webhooks store nothing (admin transcript is 404)",
                passed=stored["unsigned"] == 404 and stored["forged"] == 404 and stored["signed"] == 200,
                detail="GET /admin/conversations/{guest}/transcript: "
                + ", ".join(f"{k} -> {v}" for k, v in stored.items()),
            )
        )
        redelivered_out = await simctl.business_messages(session, stack.whatsapp_url, redeliver_guest)
        control_out = await simctl.business_messages(session, stack.whatsapp_url, control_guest)
        checks.append(
            Check(
                name="redelivered webhook gets exactly one reply",
                passed=len(control_out) >= 1 and len(redelivered_out) == len(control_out),
                detail=f"after redelivery: {len(redelivered_out)}; after a single delivery: {len(control_out)}",
            )
        )

        admin = f"{stack.agent_url}{ADMIN_PATH}"
        results = {}
        for label, headers in (
            ("none", {}),
            ("wrong", {"Authorization": "Bearer wrong-" + secrets.token_hex(4)}),
            ("right", {"Authorization": f"Bearer {creds.admin_token}"}),
        ):
            try:
                async with session.get(admin, headers=headers) as response:
                    results[label] = response.status
            except (aiohttp.ClientError, TimeoutError):
                results[label] = None
        checks.append(
            Check(
                name="admin API refuses requests without its token",
                passed=results["none"] in (401, 403) and results["wrong"] in (401, 403),
                detail=f"GET {ADMIN_PATH}: no token -> {results['none']}, wrong token -> {results['wrong']}",
            )
        )
        checks.append(
            Check(
                name="admin API answers with its token",
                passed=results["right"] == 200,
                detail=f"GET {ADMIN_PATH} with the token -> {results['right']}",
            )
        )
    return ctx.stage_result("security", started, checks)
