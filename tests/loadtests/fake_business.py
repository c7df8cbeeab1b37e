"""A tiny WhatsApp business with a known ceiling: webhook in, canned reply out through the Graph API.

It stands in for the agent where a test needs a receiver whose capacity is known exactly: replies are
made by `--concurrency` workers, each taking `--delay-ms` per message, so the ceiling is
concurrency / delay messages per second. Run: python tests/loadtests/fake_business.py --port P --graph-url URL
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import re
from typing import Any

import aiohttp
from aiohttp import web

# (pattern on the guest's words, reply): shaped like the receptionist's answers to the built-in load scripts.
CANNED: list[tuple[str, dict[str, Any]]] = [
    (
        r"quiero cancelar|want to cancel",
        {
            "text": "Reserva HT-1. ¿Quiere cancelarla? / Do you want to cancel it?",
            "buttons": [("c-yes", "Sí, cancelar"), ("c-en", "Yes, cancel it")],
        },
    ),
    (r"^(s[ií], cancelar|yes, cancel it)$", {"text": "HT-1 está cancelada / is cancelled"}),
    (r"^(s[ií]|confirmar|confirm)$", {"text": "Reserva confirmada / Booking confirmed, localizador es HT48213"}),
    (
        r"a nombre de|my name is",
        {
            "text": "Revise su reserva / Please check your booking",
            "buttons": [("ok", "Confirmar"), ("ok-en", "Confirm")],
        },
    ),
    (r"check-?in|check-?out", {"text": "Check-in 14:00, check-out 12:00"}),
    (r"parking|aparcamiento", {"text": "Parking: 15 € / día"}),
    (r"desayuno|breakfast", {"text": "Desayuno 7:30-10:30 / breakfast"}),
    (r"wi-?fi", {"text": "Wi-Fi gratis / free wifi"}),
    (r"habitaci|room", {"text": "Disponible / available: 120.00 EUR/noche"}),
]


def answer(text: str, apologise: bool) -> dict[str, Any]:
    if apologise:
        return {"text": "Lo siento, algo ha ido mal. Inténtalo más tarde."}
    for pattern, reply in CANNED:
        if re.search(pattern, text, re.IGNORECASE):
            return reply
    return {"text": "¿En qué puedo ayudarte? / How can I help?"}


def graph_body(wa_id: str, reply: dict[str, Any]) -> dict[str, Any]:
    if reply.get("buttons"):
        buttons = [{"type": "reply", "reply": {"id": i, "title": t}} for i, t in reply["buttons"]]
        interactive = {"type": "button", "body": {"text": reply["text"]}, "action": {"buttons": buttons}}
        return {"messaging_product": "whatsapp", "to": wa_id, "type": "interactive", "interactive": interactive}
    return {"messaging_product": "whatsapp", "to": wa_id, "type": "text", "text": {"body": reply["text"]}}


def inbound_text(message: dict[str, Any]) -> str:
    if message.get("type") == "text":
        return str(message["text"]["body"])
    inter = message.get("interactive") or {}
    reply = inter.get("button_reply") or inter.get("list_reply") or {}
    return str(reply.get("title") or reply.get("id") or "")


async def serve(args: argparse.Namespace) -> None:
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    session = aiohttp.ClientSession()
    url = f"{args.graph_url.rstrip('/')}/v21.0/{args.phone_number_id}/messages"
    headers = {"Authorization": f"Bearer {args.access_token}"}

    async def worker() -> None:
        while True:
            wa_id, text = await queue.get()
            await asyncio.sleep(args.delay_ms / 1000)
            try:
                async with session.post(
                    url, json=graph_body(wa_id, answer(text, args.apologise)), headers=headers
                ) as r:
                    await r.read()
            except aiohttp.ClientError:
                pass

    async def verify(request: web.Request) -> web.Response:
        q = request.query
        if q.get("hub.verify_token") == args.verify_token:
            return web.Response(text=q.get("hub.challenge", ""))
        return web.Response(status=403)

    async def webhook(request: web.Request) -> web.Response:
        raw = await request.read()
        expected = "sha256=" + hmac.new(args.app_secret.encode(), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", "")):
            return web.Response(status=401)
        body = json.loads(raw)
        for entry in body.get("entry", []):
            for change in entry.get("changes", []):
                for message in change.get("value", {}).get("messages", []) or []:
                    queue.put_nowait((message["from"], inbound_text(message)))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/webhooks/whatsapp", verify)
    app.router.add_post("/webhooks/whatsapp", webhook)
    workers = [asyncio.create_task(worker()) for _ in range(args.concurrency)]
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port).start()
    print(f"fake business on http://127.0.0.1:{args.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        for w in workers:
            w.cancel()
        await session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--graph-url", required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--apologise", action="store_true")
    parser.add_argument("--phone-number-id", default="106540352242922")
    parser.add_argument("--access-token", default="sim-access-token")
    parser.add_argument("--app-secret", default="sim-app-secret")
    parser.add_argument("--verify-token", default="sim-verify-token")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
