"""The simulator's engine: ties state, protocol rendering and delivery together (still no HTTP routing)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
from collections.abc import Callable
from typing import Any

from simulators.whatsapp.clock import SimClock
from simulators.whatsapp.config import BusinessNumber, SimSettings, Template
from simulators.whatsapp.delivery import DeliveryEngine
from simulators.whatsapp.errors import DETAILS, GraphError, invalid_param
from simulators.whatsapp.faults import FaultInjector
from simulators.whatsapp.graph import SendRequest
from simulators.whatsapp.journal import Journal
from simulators.whatsapp.looplag import LoopMonitor
from simulators.whatsapp.metrics import SimMetrics
from simulators.whatsapp.payloads import (
    WebhookEvent,
    contact_entry,
    conversation_object,
    failed_contact,
    failed_errors,
    inbound_message,
    pricing_for,
    status_contact,
    status_item,
    template_status_value,
    value_errors_item,
)
from simulators.whatsapp.state import MEDIA_WEBHOOK_TTL_S, Guest, Message, SimState, calling_code

REACTION_MAX_AGE_S = 30 * 24 * 3600


class ControlError(GraphError):
    """A control-plane (/_sim/) error: Meta's envelope shape with type SimulatorError."""

    def __init__(self, details: str, status: int = 400) -> None:
        super().__init__(
            100, details=details, message=f"(#100) {details}", error_type="SimulatorError", http_status=status
        )


class Simulator:
    """One simulated WhatsApp Cloud API deployment (several business numbers, many guests)."""

    def __init__(self, settings: SimSettings, clock: SimClock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SimClock()
        self.state = SimState(settings, self.clock)
        self.journal = Journal(self.clock)
        self.metrics = SimMetrics()
        self.faults = FaultInjector(settings.seed)
        self.delivery = DeliveryEngine(settings, self.clock, self.journal, self.metrics, self.faults)
        self.monitor = LoopMonitor(self.metrics)
        self.base_url = "http://127.0.0.1"
        # Long polls waiting for a guest's next business message: plain futures, no task per wait.
        self._waiters: dict[str, list[asyncio.Future[bool]]] = {}
        # The loop start() ran on: asyncio.get_running_loop() costs a getpid() syscall per call on 3.11.
        self._loop: asyncio.AbstractEventLoop | None = None
        # Scheduled status and review timers run only if no reset/stop happened since (no handle set to keep).
        self._timer_generation = 0
        # Live listeners of the chat page (one queue per open event stream).
        self.listeners: set[asyncio.Queue[dict[str, Any]]] = set()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.delivery.start()
        self.monitor.start()

    async def stop(self) -> None:
        self.monitor.stop()
        self._timer_generation += 1
        await self.delivery.stop()

    def reset(self) -> None:
        """Forget guests, conversations, media, journal, faults and queued deliveries; keep config and handshake."""
        self._timer_generation += 1
        self.delivery.cancel_pending()
        self.state.reset()
        self.journal.clear()
        self.faults.clear()
        self.clock.reset()
        waiters = [fut for futs in self._waiters.values() for fut in futs]
        self._waiters.clear()
        for fut in waiters:
            _settle(fut, True)

    # -- helpers -----------------------------------------------------------------------------
    def _later(self, delay_ms: float, fn: Callable[..., None], *args: Any) -> None:
        # No closure over its own handle: that cycle (three per reply) is left for the cyclic GC to find.
        loop = self._loop or asyncio.get_running_loop()
        loop.call_later(max(0.0, delay_ms) / 1000.0, self._fire, self._timer_generation, fn, args)

    def _fire(self, generation: int, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
        if generation == self._timer_generation:
            fn(*args)

    def _notify(self, wa_id: str) -> None:
        for fut in self._waiters.pop(wa_id, ()):
            _settle(fut, True)

    def publish(self, event: dict[str, Any]) -> None:
        """Tell every live chat page what happened (bounded queues: a stalled page drops, never blocks)."""
        for queue in list(self.listeners):
            if queue.qsize() < 10_000:
                queue.put_nowait(event)

    def publish_message(self, msg: Message) -> None:
        if self.listeners:
            self.publish({"type": "message", "wa_id": msg.wa_id, "message": msg.public(), **self.window(msg)})

    def window(self, msg: Message) -> dict[str, Any]:
        expires = self.state.window_expires_at(msg.phone_number_id, msg.wa_id)
        return {"window_expires_at": expires, "now": self.clock.time()}

    def number_or_error(self, phone_number_id: str | None) -> BusinessNumber:
        if phone_number_id is None:
            return self.state.default_number
        number = self.state.number(phone_number_id)
        if number is None:
            known = ", ".join(n.phone_number_id for n in self.settings.numbers)
            raise ControlError(f"unknown phone_number_id {phone_number_id}; configured numbers: {known}")
        return number

    def guest_or_error(self, wa_id: str, create: bool = False) -> Guest:
        guest = self.state.guests.get(wa_id)
        if guest is None:
            if create and self.settings.auto_create_guests:
                return self.state.add_guest(wa_id)
            raise ControlError(f"no guest with wa_id {wa_id}: create it with POST /_sim/guests first", 404)
        return guest

    def media_url(self, media_id: str) -> str:
        token = self.state.media_url_token(media_id)
        ext = int(self.clock.time())
        return f"{self.base_url}/whatsapp_business/attachments/?mid={media_id}&source=webhook&ext={ext}&hash={token}"

    # -- guest -> business -------------------------------------------------------------------
    def guest_send(
        self, guest: Guest, number: BusinessNumber, mtype: str, body: dict[str, Any], context: dict[str, Any] | None
    ) -> Message:
        """Record a guest message, open the window, and queue its webhook."""
        wamid = self.state.new_wamid(guest.wa_id, outbound=False)
        timestamp = int(self.clock.time())
        item = inbound_message(guest, self.settings, wamid, timestamp, mtype, body, context)
        msg = self.state.record("in", number.phone_number_id, guest.wa_id, mtype, item, wamid)
        self.metrics.guest_messages.inc()
        self.publish_message(msg)
        self.delivery.submit(
            WebhookEvent("message", number, item, contact_entry(guest, self.settings), inbound=msg, ref=wamid)
        )
        return msg

    def guest_media(
        self,
        number: BusinessNumber,
        mtype: str,
        data: bytes | None,
        mime_type: str,
        caption: str | None,
        filename: str | None,
        voice: bool,
    ) -> dict[str, Any]:
        payload = data if data is not None else os.urandom(256)
        media = self.state.add_media(payload, mime_type, number.phone_number_id, MEDIA_WEBHOOK_TTL_S, filename)
        body: dict[str, Any] = {}
        if caption is not None and mtype in ("image", "video", "document"):
            body["caption"] = caption
        if mtype == "document":
            body["filename"] = filename or "document.pdf"
        body["mime_type"] = mime_type
        body["sha256"] = media.sha256_b64
        body["id"] = media.id
        if mtype == "audio":
            body["voice"] = voice
        if mtype == "sticker":
            body["animated"] = False
        body["url"] = self.media_url(media.id)
        return body

    # -- business -> guest -------------------------------------------------------------------
    def business_send(self, number: BusinessNumber, req: SendRequest) -> dict[str, Any]:
        """Accept a business message (or raise the synchronous GraphError), then schedule its statuses."""
        pol = self.settings.policies
        if req.body.get("recipient_type") == "group":
            # Groups are not simulated; Meta answers an unknown group id as a missing object.
            raise GraphError(
                131009,
                details=f"Group {req.to_input} does not exist for this business number (the simulator hosts "
                "no groups); send to an individual.",
            )
        if req.recipient_user_id is not None:
            guest = self.state.by_user_id.get(req.recipient_user_id)
            user_key = req.recipient_user_id
        else:
            guest = self.state.find_recipient(req.to_digits or "", number)
            user_key = guest.wa_id if guest else req.to_digits or ""
        failure: int | None = None
        if guest is None or not guest.reachable:
            failure = 131026
        free_form = req.type != "template"
        if (
            guest is not None
            and free_form
            and pol.window_enabled
            and not self.state.window_open(number.phone_number_id, guest.wa_id)
        ):
            if pol.window_mode == "sync":
                raise GraphError(131047, details=DETAILS[131047])
            failure = failure or 131047
        if pol.rate_limit_enabled and not self.state.take_throughput(number):
            raise GraphError(130429, details=DETAILS[130429], subcode=2494055)
        if (
            pol.pair_limit_enabled
            and guest is not None
            and not self.state.take_pair(number.phone_number_id, guest.wa_id)
        ):
            raise GraphError(131056, details=DETAILS[131056])
        if req.type == "reaction" and failure is None:
            target = self.state.messages.get(req.message_id or "")
            too_old = target is not None and self.clock.time() - target.timestamp > REACTION_MAX_AGE_S
            if target is None or target.type == "reaction" or target.wa_id != (guest.wa_id if guest else "") or too_old:
                failure = 131009
        for mtype in ("image", "audio", "video", "document", "sticker"):
            if req.type == mtype and "id" in req.body[mtype] and self.state.get_media(req.body[mtype]["id"]) is None:
                raise invalid_param(f"Media id {req.body[mtype]['id']} does not exist or has expired; upload it again.")
        wamid = self.state.new_wamid(user_key, outbound=True)
        wa_id = guest.wa_id if guest else self._unknown_wa_id(req, number, user_key)
        msg = self.state.record("out", number.phone_number_id, wa_id, req.type, req.body, wamid)
        msg.failed_code = failure
        msg.category = req.template.category if req.template else "service"
        self.metrics.count(self.metrics.business_messages, req.type)
        category = req.template.category if req.template else "service"
        self._schedule_statuses(msg, guest, number, failure, category, free=req.template is None, req=req)
        if failure is None:
            self._notify(wa_id)
        self.publish_message(msg)
        contact: dict[str, Any] = {"input": req.to_input}
        if req.recipient_user_id is not None and req.to_digits is None:
            contact["user_id"] = req.recipient_user_id
        else:
            contact["wa_id"] = wa_id
        sent: dict[str, Any] = {"id": wamid}
        if req.template is not None:
            # Real template-send responses carry message_status (whatsapp-real-payloads.md D2).
            sent["message_status"] = "accepted"
        return {"messaging_product": "whatsapp", "contacts": [contact], "messages": [sent]}

    @staticmethod
    def _unknown_wa_id(req: SendRequest, number: BusinessNumber, user_key: str) -> str:
        """Without a leading +, Meta prepends the business number's calling code (Meta: phone number formats).

        Digits that already start with a known calling code are taken as international (the usual wa_id).
        """
        digits = req.to_digits or user_key
        if req.to_digits is None or (req.to_input or "").lstrip().startswith("+") or calling_code(digits):
            return digits
        return (calling_code(number.display_phone_number) or "") + digits

    def mark_read(self, number: BusinessNumber, req: SendRequest) -> dict[str, Any]:
        msg = self.state.messages.get(req.message_id or "")
        if msg is None or msg.direction != "in" or msg.phone_number_id != number.phone_number_id:
            raise invalid_param(f"Invalid message_id {req.message_id}: not a message received by this number.")
        now = self.clock.now_ms()
        # Marking one message read marks the earlier ones of that conversation too.
        for earlier in self.state.conversations.get(msg.wa_id, []):
            if (
                earlier.direction == "in"
                and earlier.seq <= msg.seq
                and not any(s["status"] == "read" for s in earlier.statuses)
            ):
                earlier.add_status({"status": "read", "by": "business", "at_ms": now})
        if req.typing:
            msg.add_status({"status": "typing", "by": "business", "at_ms": now})
        if self.listeners:
            self.publish({"type": "read", "wa_id": msg.wa_id, "wamid": msg.wamid, "typing": req.typing})
        return {"success": True}

    def _schedule_statuses(
        self,
        msg: Message,
        guest: Guest | None,
        number: BusinessNumber,
        failure: int | None,
        category: str,
        free: bool,
        req: SendRequest,
    ) -> None:
        t = self.settings.statuses
        bod = req.body.get("biz_opaque_callback_data")
        if failure is not None:
            self._later(t.sent_after_ms, self._emit_status, msg, guest, number, "failed", None, failure, bod)
            return
        pricing = pricing_for(category, free)
        self._later(t.sent_after_ms, self._emit_status, msg, guest, number, "sent", pricing, None, bod)
        if msg.type == "reaction" or guest is None:
            return  # reactions only ever get `sent`
        delivered = guest.delivered_after_ms if guest.delivered_after_ms is not None else t.delivered_after_ms
        read = guest.read_after_ms if guest.read_after_ms is not None else t.read_after_ms
        if not guest.reads:
            read = None
        skip = guest.skip_delivered or self.faults.chance(self.faults.faults.skip_delivered_rate)
        if skip and read is not None:
            # Delivered and read at once: Meta sends only `read`.
            self._later(max(read, t.sent_after_ms), self._emit_status, msg, guest, number, "read", pricing, None, bod)
            return
        self._later(
            max(delivered, t.sent_after_ms), self._emit_status, msg, guest, number, "delivered", pricing, None, bod
        )
        if read is not None:
            read_at = max(read, delivered, t.sent_after_ms)
            self._later(read_at, self._emit_status, msg, guest, number, "read", None, None, bod)
            audio = req.body.get("audio") if msg.type == "audio" else None
            if audio and audio.get("voice") is True and t.played_after_ms is not None:
                # Meta's status webhook reference: "Your voice message is played by the WhatsApp user's device."
                self._later(
                    read_at + t.played_after_ms, self._emit_status, msg, guest, number, "played", None, None, bod
                )

    def _emit_status(
        self,
        msg: Message,
        guest: Guest | None,
        number: BusinessNumber,
        status: str,
        pricing: dict[str, Any] | None,
        failure: int | None,
        bod: str | None,
    ) -> None:
        timestamp = int(self.clock.time())
        conversation = None
        if guest is not None and status != "failed":
            expiry = self.state.window_expires_at(number.phone_number_id, guest.wa_id) if status == "sent" else None
            conversation = conversation_object(msg.wamid, msg.category, expiry)
        errors = failed_errors(failure) if failure is not None else None
        item = status_item(
            self.settings,
            guest,
            msg.wamid,
            status,
            timestamp,
            recipient_input=msg.wa_id,
            pricing=pricing,
            conversation=conversation,
            errors=errors,
            biz_opaque=bod,
        )
        record: dict[str, Any] = {"status": status, "at_ms": self.clock.now_ms(), "timestamp": timestamp}
        if errors:
            record["errors"] = errors
        msg.add_status(record)
        contact = None
        if status == "failed":
            contact = failed_contact(guest.wa_id if guest is not None else msg.wa_id)
        elif guest is not None and self.settings.payload_shape == "2026":
            contact = status_contact(guest, self.settings)
        self.delivery.submit(WebhookEvent("status", number, item, contact, ref=f"{msg.wamid}:{status}"))
        if self.listeners:
            self.publish({"type": "status", "wa_id": msg.wa_id, "wamid": msg.wamid, **record})

    # -- account-level webhooks --------------------------------------------------------------
    def send_value_errors(self, number: BusinessNumber, code: int, details: str | None) -> dict[str, Any]:
        """An out-of-band value-level `errors` webhook (Meta: webhooks reference, messages/errors)."""
        item = value_errors_item(code, details)
        self.delivery.submit(WebhookEvent("error", number, item, ref=f"errors:{code}"))
        return item

    def schedule_template_review(self, number: BusinessNumber, tpl: Template) -> None:
        """A created template is approved after `template_review_ms`, announced by webhook."""
        self._later(self.settings.template_review_ms, self.set_template_status, number, tpl, "APPROVED", None)

    def set_template_status(self, number: BusinessNumber, tpl: Template, event: str, reason: str | None) -> None:
        """Change a template's status and send `message_template_status_update`."""
        if event in ("APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"):
            tpl.status = event  # type: ignore[assignment]
        value = template_status_value(event, tpl.id or "0", tpl.name, tpl.language, reason)
        extra = {"time": int(self.clock.time())}
        self.delivery.submit(WebhookEvent("template", number, value, ref=f"template:{tpl.name}:{event}", extra=extra))
        self.journal.add("template_status", name=tpl.name, language=tpl.language, event=event)

    # -- long poll ---------------------------------------------------------------------------
    async def wait_replies(
        self, wa_id: str, after_seq: int, timeout_s: float, settle_ms: float
    ) -> tuple[list[Message], bool]:
        """Wait for business messages after `after_seq`: the first one, then quiet for settle_ms, or timeout."""
        loop = self._loop or asyncio.get_running_loop()
        deadline = loop.time() + timeout_s

        def current() -> list[Message]:
            return [m for m in self.state.replies_after(wa_id, after_seq) if m.failed_code is None]

        replies = current()
        while not replies:
            remaining = deadline - loop.time()
            if remaining <= 0 or not await self._wait_change(wa_id, remaining):
                return current(), True
            replies = current()
        while True:
            remaining = min(settle_ms / 1000.0, deadline - loop.time())
            if remaining <= 0:
                return replies, False
            changed = await self._wait_change(wa_id, remaining)
            replies = current()
            if not changed:
                return replies, False

    async def _wait_change(self, wa_id: str, timeout_s: float) -> bool:
        """True when a business message for `wa_id` arrived within `timeout_s` (a future and a timer, no task)."""
        loop = self._loop or asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        waiters = self._waiters.setdefault(wa_id, [])
        waiters.append(fut)
        timer = loop.call_later(timeout_s, _settle, fut, False)
        try:
            return await fut
        finally:
            timer.cancel()
            pending = self._waiters.get(wa_id)
            if pending is not None:  # a timeout or a cancel: a notify took the whole list already
                with contextlib.suppress(ValueError):
                    pending.remove(fut)
                if not pending:
                    del self._waiters[wa_id]


def _settle(fut: asyncio.Future[bool], changed: bool) -> None:
    if not fut.done():
        fut.set_result(changed)


def decode_b64(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except ValueError as exc:
        raise ControlError(f"data_b64 is not valid base64: {exc}") from exc
