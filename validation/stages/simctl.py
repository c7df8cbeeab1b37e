"""Calls into the simulators' control planes (/_sim/...), in one place so their shapes live here only."""

from __future__ import annotations

from typing import Any

import aiohttp


async def register_guest(session: aiohttp.ClientSession, whatsapp_url: str, wa_id: str, language: str = "es") -> None:
    body = {"wa_id": wa_id, "profile_name": f"Guest {wa_id[-4:]}", "language": language}
    async with session.post(f"{whatsapp_url}/_sim/guests", json=body) as response:
        if response.status >= 300:
            raise RuntimeError(f"POST /_sim/guests -> {response.status}: {(await response.text())[:200]}")


async def business_messages(session: aiohttp.ClientSession, whatsapp_url: str, wa_id: str) -> list[dict[str, Any]]:
    """Messages the business (the agent) sent to a guest, from the simulator's conversation view."""
    async with session.get(f"{whatsapp_url}/_sim/guests/{wa_id}/conversation") as response:
        if response.status == 404:
            return []
        response.raise_for_status()
        data = await response.json(content_type=None)
    items = data.get("messages", data) if isinstance(data, dict) else data
    out = []
    for item in items or []:
        if not isinstance(item, dict):
            continue
        direction = str(item.get("direction", item.get("from_", item.get("sender", "")))).lower()
        if direction in ("outbound", "business", "out", "to_guest", "agent"):
            out.append(item)
    return out


def qloapps_fault_body(kind: str, latency_ms: int | None = None) -> dict[str, Any]:
    """Body of POST /_sim/faults on the QloApps simulator (docs/qloapps-simulator.md)."""
    body: dict[str, Any] = {"kind": kind}
    if latency_ms is not None:
        body["latency_ms"] = latency_ms
    return body


async def qloapps_fault(
    session: aiohttp.ClientSession, qloapps_url: str, kind: str, latency_ms: int | None = None
) -> None:
    async with session.post(f"{qloapps_url}/_sim/faults", json=qloapps_fault_body(kind, latency_ms)) as response:
        if response.status >= 300:
            raise RuntimeError(f"POST {qloapps_url}/_sim/faults -> {response.status}: {(await response.text())[:200]}")


async def qloapps_clear_faults(session: aiohttp.ClientSession, qloapps_url: str) -> None:
    async with session.delete(f"{qloapps_url}/_sim/faults") as response:
        if response.status >= 300:
            raise RuntimeError(f"DELETE {qloapps_url}/_sim/faults -> {response.status}")
