"""The receptionist: the Responder that runs NLU → dialogue → effects through the PMS adapter → replies.

Selected with AGENT_RESPONDER=receptionist. The brain decides (pure); this module performs the effects it asks for
(QloApps searches, bookings under a Redis lock with an idempotency key, cancellations), feeds the facts back, and
words the replies from the catalogue of the conversation's language.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from agent.brain.catalogue import text_of
from agent.brain.dialogue import Context, ConversationState, GuestMessage, decide
from agent.brain.dialogue import effects as fx
from agent.brain.dialogue import facts as ft
from agent.brain.dialogue.replies import Reply, Say, SendLocation
from agent.brain.nlu import parse
from agent.clock import Clock
from agent.knowledge import load_knowledge
from agent.nlu_model import default_model
from agent.outbound import Buttons, ListMessage, ListRow, Location, Outbound, ReplyButton, Text
from agent.pms import QloAppsClient, QloAppsConfig
from agent.pms.booker import Outcome, SafeBooker
from agent.pms.cache import PmsCache
from agent.pms.errors import NotFound, PmsError, PmsRejected
from agent.pms.guard import BookingGuard
from agent.pms.models import Booking, BookingRequest, GuestDetails, Hotel, split_occupancy
from agent.responder import Turn, TurnResult

log = logging.getLogger(__name__)

MAX_EFFECTS_PER_TURN = 8
ALTERNATIVE_SHIFTS = (1, -1, 2, -2, 7)
DEFAULT_IDLE_MINUTES = 60


class Receptionist:
    """Answers one guest message at a time; holds the PMS adapter, the booking guard and the knowledge file."""

    def __init__(
        self,
        pms: QloAppsClient,
        guard: BookingGuard | None,
        hotel_id: int = 1,
        knowledge: dict[str, Any] | None = None,
        idle_minutes: int = DEFAULT_IDLE_MINUTES,
    ) -> None:
        self.pms = pms
        self._guard = guard
        self._booker = SafeBooker(pms, guard)
        self._hotel_id = hotel_id
        self._knowledge = knowledge if knowledge is not None else load_knowledge()
        self._idle = timedelta(minutes=idle_minutes)

    @classmethod
    def from_settings(cls, settings: Any, redis: Redis | None, clock: Clock) -> Receptionist:
        """Build from agent Settings and the service's Redis client (cache, locks, idempotency keys)."""
        if not settings.qloapps_url:
            raise ValueError("AGENT_RESPONDER=receptionist needs AGENT_QLOAPPS_URL and AGENT_QLOAPPS_KEY")
        default_model()  # load (or fit once and cache) the intent model now, not while the first guest waits
        pms = QloAppsClient(
            QloAppsConfig(base_url=settings.qloapps_url, api_key=settings.qloapps_key.get_secret_value()),
            cache=PmsCache(redis, monotonic=clock.monotonic),
            clock=clock,
        )
        return cls(
            pms,
            BookingGuard(redis) if redis is not None else None,
            hotel_id=settings.hotel_id,
            idle_minutes=int(getattr(settings, "conversation_idle_minutes", DEFAULT_IDLE_MINUTES)),
        )

    async def close(self) -> None:
        await self.pms.close()

    # ---- the seam ---------------------------------------------------------------------------------------------

    async def respond(self, turn: Turn) -> TurnResult:
        """Understand the message, run the dialogue and its effects, and return the worded replies.

        A bug or an unexpected failure never drops the guest: they get an apology and a person takes over.
        """
        try:
            return await self._respond(turn)
        except Exception:  # noqa: BLE001 - degrade to a human rather than crash the turn
            log.exception("receptionist failed on %s; handing over to staff", turn.message.wamid)
            lang = turn.language if turn.language in ("es", "en") else "es"
            return TurnResult(
                [Text(text_of("error.internal", {}, lang))],
                dict(turn.state),
                lang,
                handoff=True,
                handoff_reason="receptionist_error",
            )

    async def _respond(self, turn: Turn) -> TurnResult:
        now = turn.clock.now()
        today = _local_today(now, turn.timezone)
        state = self._load_state(turn.state, now)
        msg = turn.message
        if msg.type == "reaction":
            return TurnResult([], self._dump(state, now), turn.language)
        text = msg.reply_title or msg.text if msg.type in ("button_reply", "list_reply", "button") else msg.text
        kind = msg.kind
        previous = turn.language if turn.language in ("es", "en") else None
        nlu = parse(text or "", today, previous_language=previous, model=default_model())  # type: ignore[arg-type]
        if kind == "media":
            # A caption is not a request we act on, but it is the guest writing: its language is theirs
            # (a caption without language markers keeps the conversation's, as `parse` does for any text).
            nlu = type(nlu)(language=nlu.language, intent="unknown", confidence=0.0, entities={})
        event = GuestMessage(kind=kind, text=text or "", nlu=nlu, reply_id=msg.reply_id or None)
        ctx = Context(today=today, message_id=msg.wamid)
        # The service only calls us when no person holds the conversation: a handoff in our state is resolved.
        state.handoff = False
        decision = decide(state, event, ctx)
        replies: list[Reply] = list(decision.replies)
        handoff = decision.handoff
        for _ in range(MAX_EFFECTS_PER_TURN):
            if decision.effect is None:
                break
            fact = await self._perform(decision.effect, turn, today)
            decision = decide(decision.state, fact, ctx)
            replies.extend(decision.replies)
            handoff = handoff or decision.handoff
        lang = decision.state.language
        return TurnResult(
            replies=[to_outbound(r, lang) for r in replies],
            state=self._dump(decision.state, now),
            language=lang,
            handoff=handoff is not None,
            handoff_reason=handoff or "",
        )

    def _load_state(self, raw: dict[str, Any], now: datetime) -> ConversationState:
        state = ConversationState.from_dict(raw.get("dialogue"))
        last = raw.get("last_seen")
        if last:
            try:
                idle = now - datetime.fromisoformat(last)
            except (TypeError, ValueError):
                idle = timedelta(0)
            if idle > self._idle:
                # An old half-finished flow is forgotten; the guest's bookings and language are kept.
                state.reset_flow()
                state.misunderstandings = 0
        return state

    @staticmethod
    def _dump(state: ConversationState, now: datetime) -> dict[str, Any]:
        return {"dialogue": state.to_dict(), "last_seen": now.isoformat()}

    # ---- effects ----------------------------------------------------------------------------------------------

    async def _perform(self, effect: fx.Effect, turn: Turn, today: date) -> ft.Fact:
        try:
            if isinstance(effect, fx.SearchStay):
                return await self._search(effect)
            if isinstance(effect, fx.SearchAlternatives):
                return await self._alternatives(effect, today)
            if isinstance(effect, fx.CreateBooking):
                return await self._book(effect, turn)
            if isinstance(effect, fx.FindBooking):
                return await self._find(effect, turn)
            if isinstance(effect, fx.CancelBooking):
                return await self._cancel(effect)
            if isinstance(effect, fx.LoadHotel):
                return ft.HotelFacts(await self._hotel_view(with_features=effect.topic == "amenities"))
            if isinstance(effect, fx.CheckNight):
                avail = await self.pms.search_availability(
                    self._hotel_id, effect.night, effect.night + timedelta(days=1), [(1, 0)]
                )
                return ft.NightChecked(avail.offer(effect.id_room_type) is not None, await self._hotel_view())
        except PmsError as exc:
            log.warning("PMS effect %s failed: %s", type(effect).__name__, exc)
            return ft.PmsDown(str(exc))
        except RedisError as exc:
            # The PMS cache degrades to misses by itself; this is the booking guard (locks, idempotency keys).
            log.warning("Redis failed during %s: %s", type(effect).__name__, exc)
            return ft.PmsDown(f"redis: {exc}")
        raise TypeError(f"unknown effect {effect!r}")

    async def _search(self, e: fx.SearchStay, *, use_cache: bool = True) -> ft.StayOffers:
        party = split_occupancy(e.adults, e.children, e.rooms)
        avail = await self.pms.search_availability(self._hotel_id, e.check_in, e.check_out, party, use_cache=use_cache)
        # hotel_ari does not filter by occupancy (a QloApps quirk): drop room types the party does not fit in.
        limits = {rt.id: rt for rt in await self.pms.room_types(self._hotel_id)}

        def fits(id_room_type: int) -> bool:
            rt = limits.get(id_room_type)
            return rt is None or all(
                a <= rt.max_adults and c <= rt.max_children and a + c <= rt.max_guests for a, c in party
            )

        free = [o for o in avail.offers if o.available >= e.rooms]
        offers = tuple(
            ft.Offer(
                o.id_room_type,
                o.name,
                o.available,
                o.nightly_price_with_tax,
                o.total_price_with_tax,
                avail.currency,
            )
            for o in free
            if fits(o.id_room_type)
        )
        too_big = bool(free) and not offers
        biggest = max((limits[o.id_room_type].max_guests for o in free if o.id_room_type in limits), default=0)
        return ft.StayOffers(offers, party_too_big=too_big, max_guests_per_room=biggest)

    async def _alternatives(self, e: fx.SearchAlternatives, today: date) -> ft.Alternatives:
        nights = e.check_out - e.check_in
        options: list[ft.AltOption] = []
        for shift in ALTERNATIVE_SHIFTS:
            ci = e.check_in + timedelta(days=shift)
            if ci < today:
                continue
            found = await self._search(fx.SearchStay(ci, ci + nights, e.adults, e.children, e.rooms))
            if found.offers:
                options.append(ft.AltOption(ci, ci + nights, min(found.offers, key=lambda o: o.total)))
            if len(options) == 3:
                break
        options.sort(key=lambda a: a.check_in)
        return ft.Alternatives(tuple(options))

    async def _book(self, e: fx.CreateBooking, turn: Turn) -> ft.Fact:
        key = f"{turn.guest.key}:{e.nonce}"
        hotel = await self._hotel_or_none()
        check_in_time = hotel.check_in if hotel else "12:00"
        if self._guard is not None:
            prior = await self._guard.outcome(key)
            if prior is not None and _memo_is_stay(prior, e):
                return ft.BookingMade(_view_from_json(prior), check_in_time, replayed=True)
        # SafeBooker locks the stay's nights, finds a booking already made for this key, and reconciles lost answers.
        result = await self._booker.book(
            BookingRequest(
                hotel_id=self._hotel_id,
                id_room_type=e.id_room_type,
                date_from=e.check_in,
                date_to=e.check_out,
                adults=e.adults,
                children=e.children,
                rooms=e.rooms,
                currency="",
                guest=GuestDetails(e.firstname, e.lastname, e.email, f"+{turn.guest.wa_id}"),
                remark=f"WhatsApp receptionist, confirmation {e.nonce}",
                idempotency_key=key,
            )
        )
        if result.outcome is Outcome.BOOKED and result.booking is not None:
            view = _view(result.booking, fallback_total=result.fallback_total, fallback_name=result.fallback_name)
            try:
                if self._guard is not None:
                    await self._guard.remember(key, _view_to_json(view))
            except RedisError as exc:  # the booking is made; QloApps still finds it by its key next time
                log.warning("booking %s made but not remembered in Redis: %s", key, exc)
            return ft.BookingMade(view, check_in_time, replayed=result.replayed)
        reason = {Outcome.UNAVAILABLE: "unavailable", Outcome.REJECTED: "rejected", Outcome.UNKNOWN: "uncertain"}
        return ft.BookingFailed(reason.get(result.outcome, "pms_down"), result.detail)  # type: ignore[arg-type]

    async def _find(self, e: fx.FindBooking, turn: Turn) -> ft.BookingsFound:
        found: list[Booking] = []
        if e.reference:
            booking = await self.pms.booking_by_reference(e.reference)
            owned = e.reference in e.own_references
            # Without the email on it, only a booking made in, or found by the phone of, this conversation is shown.
            if booking is not None and (owned or (e.email and booking.email.lower() == e.email.lower())):
                found.append(booking)
        else:
            for ref in list(reversed(e.own_references))[:5]:
                booking = await self.pms.booking_by_reference(ref)
                if booking is not None:
                    found.append(booking)
            if e.by_phone and turn.guest.wa_id:
                # The agent books with the guest's WhatsApp number as the customer's phone; find them by it.
                seen = {b.id_order for b in found}
                for booking in await self.pms.bookings_for_phone(f"+{turn.guest.wa_id}", frozenset(seen)):
                    if booking.id_order not in seen:
                        seen.add(booking.id_order)
                        found.append(booking)
        rules = await self.pms.refund_rules(self._hotel_id) if found else []
        return ft.BookingsFound(
            tuple(_view(b) for b in found),
            tuple(ft.RefundRuleView(r.days, r.payment_type, r.deduction, r.name) for r in rules),
        )

    async def _cancel(self, e: fx.CancelBooking) -> ft.Fact:
        try:
            booking = await self.pms.get_booking(e.id_order)
        except NotFound:
            return ft.CancelFailed(f"order {e.id_order} not found")
        try:
            await self.pms.cancel_booking(booking)
        except PmsRejected as exc:
            return ft.CancelFailed(exc.message)
        except PmsError as exc:
            return ft.CancelFailed(str(exc))
        after = await self.pms.get_booking(e.id_order)
        if not after.cancelled:
            return ft.CancelFailed(f"order {e.id_order} is in state {after.current_state} after cancelling")
        return ft.Cancelled(_view(after))

    async def _hotel_or_none(self) -> Hotel | None:
        try:
            return await self.pms.get_hotel(self._hotel_id)
        except PmsError:
            return None

    async def _hotel_view(self, with_features: bool = False) -> ft.HotelView:
        hotel = await self.pms.get_hotel(self._hotel_id)
        features: tuple[str, ...] = ()
        if with_features:
            features = tuple(f.name for f in await self.pms.hotel_features(self._hotel_id) if f.name)
        loc = self._knowledge.get("location") or {}
        return ft.HotelView(
            name=hotel.name,
            address=hotel.address,
            city=hotel.city,
            zipcode=hotel.zipcode,
            phone=hotel.phone,
            check_in=hotel.check_in,
            check_out=hotel.check_out,
            latitude=hotel.latitude if hotel.latitude is not None else loc.get("latitude"),
            longitude=hotel.longitude if hotel.longitude is not None else loc.get("longitude"),
            features=features,
            knowledge=self._knowledge,
        )


# ---- mapping --------------------------------------------------------------------------------------------------


def _local_today(now: datetime, tz: str) -> date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(tz)).date()


def _view(b: Booking, fallback_total: Decimal | None = None, fallback_name: str = "") -> ft.BookingView:
    line = b.lines[0] if b.lines else None
    total = b.total_paid_tax_incl if b.total_paid_tax_incl > 0 else (fallback_total or Decimal(0))
    return ft.BookingView(
        id_order=b.id_order,
        reference=b.reference,
        hotel_id=b.hotel_id,
        id_room_type=line.id_room_type if line else 0,
        room_type_name=(line.name if line and line.name else fallback_name),
        check_in=b.date_from or date.min,
        check_out=b.date_to or date.min,
        rooms=sum(x.rooms for x in b.lines) or 1,
        email=b.email,
        firstname=b.firstname,
        lastname=b.lastname,
        total=total,
        currency=b.currency,
        cancelled=b.cancelled,
        adults=sum(x.adults for x in b.lines),
        children=sum(x.children for x in b.lines),
    )


def _view_to_json(v: ft.BookingView) -> dict[str, Any]:
    return {
        **{k: getattr(v, k) for k in ("id_order", "reference", "hotel_id", "id_room_type", "room_type_name")},
        **{k: getattr(v, k) for k in ("rooms", "email", "firstname", "lastname", "currency", "cancelled")},
        "adults": v.adults,
        "children": v.children,
        "check_in": v.check_in.isoformat(),
        "check_out": v.check_out.isoformat(),
        "total": str(v.total),
    }


def _memo_is_stay(d: dict[str, Any], e: fx.CreateBooking) -> bool:
    """Whether a remembered outcome is this booking's (a key reused by another intent must not replay it)."""
    remembered = (d.get("id_room_type"), d.get("check_in"), d.get("check_out"), str(d.get("email", "")).lower())
    same = remembered == (e.id_room_type, e.check_in.isoformat(), e.check_out.isoformat(), e.email.lower())
    if not same:
        log.error("booking memo for this key is another stay (%s..%s); booking afresh", d.get("check_in"),
                  d.get("check_out"))  # fmt: skip
    return same


def _view_from_json(d: dict[str, Any]) -> ft.BookingView:
    return ft.BookingView(
        **{k: d[k] for k in ("id_order", "reference", "hotel_id", "id_room_type", "room_type_name", "rooms")},
        **{k: d[k] for k in ("email", "firstname", "lastname", "currency", "cancelled")},
        adults=int(d.get("adults", 0)),
        children=int(d.get("children", 0)),
        check_in=date.fromisoformat(d["check_in"]),
        check_out=date.fromisoformat(d["check_out"]),
        total=Decimal(d["total"]),
    )


def to_outbound(reply: Reply, language: str) -> Outbound:
    """Word one dialogue reply from the catalogue as a typed WhatsApp message."""
    if isinstance(reply, SendLocation):
        return Location(reply.latitude, reply.longitude, reply.name, reply.address)
    assert isinstance(reply, Say)
    body = text_of(reply.key, reply.params, language)
    if reply.buttons:
        return Buttons(
            body,
            tuple(
                ReplyButton(b.id, b.title if b.title is not None else text_of(str(b.title_key), {}, language))
                for b in reply.buttons
            ),
        )
    if reply.rows:
        return ListMessage(
            body,
            text_of(reply.list_button_key, {}, language),
            tuple(ListRow(r.id, r.title, r.description) for r in reply.rows),
        )
    return Text(body)
