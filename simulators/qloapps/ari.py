"""`/api/hotel_ari`: the availability and rates search (WebserviceSpecificManagementHotelAri), XML body only."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from simulators.qloapps.config import SimConfig
from simulators.qloapps.errors import WsError
from simulators.qloapps.fields import FieldDef, parse_date
from simulators.qloapps.pricing import php_float
from simulators.qloapps.protocol import Ctx, Reply, SchemaAssoc, schema_body
from simulators.qloapps.specs import RoomAvailability
from simulators.qloapps.state import Backend
from simulators.qloapps.wire import XML_HEAD, XML_TAIL, cdata, dumps, parse_xml, scalar

ARI = "modules/hotelreservationsystem/classes/WebserviceSpecificManagementHotelAri.php"

MAX_NIGHTS = 3660  # simulator guard against absurd ranges (year 9999); see docs
FLAGS = ("get_available_rooms", "get_booked_rooms", "get_partial_available_rooms", "get_unavailable_rooms")
SCHEMA_FIELDS = [
    FieldDef("id_hotel", "isUnsignedId", required=True),
    FieldDef("id_room_type", "isUnsignedId"),
    FieldDef("date_from", "isDate", required=True),
    FieldDef("date_to", "isDate", required=True),
    *[FieldDef(f, "isBool") for f in FLAGS],
    FieldDef("date_wise_breakdown", "isBool"),
]


class HotelAri:
    """Parses the search, runs it on the Backend, renders the code's shape in XML or JSON."""

    def __init__(self, backend: Backend, config: SimConfig) -> None:
        self.b = backend
        self.cfg = config

    def handle(self, ctx: Ctx) -> Reply:
        if ctx.method in ("GET", "HEAD") and ctx.query.get("schema") in ("blank", "synopsis"):
            occupancies = SchemaAssoc("room_occupancies", "room_occupancy", ("adults", "children", "child_ages"))
            return Reply(200, schema_body(ctx, "hotel_ari", SCHEMA_FIELDS, ctx.query["schema"], [occupancies]))
        if ctx.method != "POST":  # …HotelAri.php:149, 462
            raise WsError(405, 23, f"Method {ctx.method} is not valid")
        params = self.parse(ctx.body)
        return Reply(200, self.render(params, ctx))

    # ---- request -----------------------------------------------------------------------------------------

    def parse(self, body: bytes) -> dict[str, Any]:
        """validateRequestXml (…HotelAri.php:482-595), in its order of checks."""
        if body[:4] == b"xml=":
            body = body[4:]
        if not body:
            raise WsError(400, 85, "Validation error: ARI search parameters are missing.")
        try:
            root = parse_xml(body)
        except WsError:  # simplexml_load_string refused it, JSON included (:586)
            raise WsError(400, 85, "Validation error: Invalid ARI search parameters found.") from None
        el = root.find("hotel_ari")
        if el is None or len(el) == 0:  # :580
            raise WsError(400, 85, "Validation error: Invalid request XML")

        def text(name: str) -> str:
            return (el.findtext(name) or "").strip()

        for req in ("id_hotel", "date_from", "date_to"):
            if not text(req):
                raise WsError(400, 41, f'parameter "{req}" required')
        id_hotel = text("id_hotel")
        if not id_hotel.isdigit():  # isUnsignedId on the HotelAri field (:528-533)
            raise WsError(400, 85, 'Validation error: "id_hotel" is invalid')
        d_from, d_to = parse_date(text("date_from")), parse_date(text("date_to"))
        if d_from is None:
            raise WsError(400, 85, 'Validation error: "date_from" is invalid')
        if d_to is None:
            raise WsError(400, 85, 'Validation error: "date_to" is invalid')
        if d_to <= d_from:
            raise WsError(400, 85, 'Validation error: "Date to" must be after "date from"')
        if (d_to - d_from).days > MAX_NIGHTS:
            raise WsError(400, 85, f'Validation error: "date_to" is more than {MAX_NIGHTS} nights after "date_from"')
        id_rt = text("id_room_type")
        if id_rt and not id_rt.isdigit():
            raise WsError(400, 85, 'Validation error: "id_room_type" is invalid')
        sent = {f: text(f) for f in FLAGS if text(f) != ""}
        flags = {f: sent.get(f, "0") == "1" for f in FLAGS}
        if not sent:
            flags["get_available_rooms"] = True  # none sent: only available rooms
        occupancies = []
        occ_root = el.find("associations/room_occupancies")
        for n, occ in enumerate(list(occ_root) if occ_root is not None else [], start=1):  # :551-577
            a, c = occ.findtext("adults"), occ.findtext("children")
            if a is None:
                raise WsError(400, 85, f"Validation error: Missing information for adults for Room-{n} occupancy.")
            if not a.strip().isdigit() or int(a) < 1:
                raise WsError(400, 85, f"Validation error: Invalid value for number of adults for Room-{n} "
                                       "occupancy(value must be greater than 0).")  # fmt: skip
            if c is None:
                raise WsError(400, 85, f"Validation error: Missing information for children for Room-{n} occupancy.")
            if not c.strip().isdigit():
                raise WsError(400, 85, "Validation error: Invalid value for number of children for "
                                       f"Room-{n} occupancy.")  # fmt: skip
            occupancies.append((int(a), int(c)))
        return {
            "id_hotel": id_hotel,  # echoed as sent: a string in JSON (:390)
            "id_room_type": int(id_rt) if id_rt else None,
            "date_from": d_from,
            "date_to": d_to,
            "flags": flags,
            "breakdown": text("date_wise_breakdown") == "1",
            "occupancies": occupancies,
        }

    # ---- search + render ---------------------------------------------------------------------------------

    def _one(self, p: dict[str, Any], d_from: date, d_to: date, *, breakdown: bool) -> dict[str, Any]:
        flags = p["flags"]
        priced = self.b.priced_search(
            int(p["id_hotel"]), p["id_room_type"], d_from, d_to, want_partial=flags["get_partial_available_rooms"]
        )
        results = [r for r, _, _ in priced]
        n_occ = max(len(p["occupancies"]), 1)  # the occupancy quirk: only multiplies total_price
        nights = (d_to - d_from).days
        out: dict[str, Any] = {
            "id_hotel": p["id_hotel"],
            "date_from": d_from.isoformat(),
            "date_to": d_to.isoformat(),
            "currency": self.b.default_currency_iso(),
        }
        if not results:  # an unknown hotel: no rm_data, so neither totals nor room types (:383-431)
            out["room_types"] = []
            return out
        out["total_rooms"] = sum(r.total_rooms for r in results)
        n_avail = sum(len(r.available) for r in results)
        counts = {
            "get_available_rooms": ("total_available_rooms", n_avail),
            "get_unavailable_rooms": ("total_unavailable_rooms", sum(len(r.unavailable) for r in results)),
            "get_partial_available_rooms": ("total_partial_available_rooms", sum(len(r.partial) for r in results)),
            "get_booked_rooms": ("total_booked_rooms", sum(len(r.booked) for r in results)),
        }
        for flag, (key, n) in counts.items():
            if flags[flag]:
                # 1.6.1 date-wise breakdown counted available rooms for both totals (fixed in 1.7.0).
                buggy = breakdown and self.cfg.v161 and key in ("total_unavailable_rooms", "total_booked_rooms")
                out[key] = n_avail if buggy else n
        out["room_types"] = [self._room_type(r, excl, incl, nights, n_occ, flags) for r, excl, incl in priced]
        return out

    def _room_type(self, r: RoomAvailability, excl: Decimal, incl: Decimal, nights: int, n_occ: int,
                   flags: dict[str, bool]) -> dict[str, Any]:  # fmt: skip
        rt = r.room_type

        def room(x: Any) -> dict[str, Any]:
            return {"id_room": x.id, "id_product": x.id_product, "id_hotel": x.id_hotel, "room_num": x.room_num,
                    "room_comment": x.comment, "max_adult": rt.max_adults, "max_children": rt.max_children,
                    "max_occupancy": rt.max_guests}  # fmt: skip

        rooms: dict[str, Any] = {}
        if flags["get_available_rooms"]:
            rooms["available"] = {str(x.id): room(x) for x in r.available}
        if flags["get_unavailable_rooms"]:
            rooms["unavailable"] = {str(x.id): {**room(x), "status": st} for x, st in r.unavailable}
        if flags["get_booked_rooms"]:
            rooms["booked"] = {
                str(x.id): {**room(x), "detail": [
                    {"id_htl_booking": rb.id, "id_order": rb.id_order, "id_customer": rb.id_customer,
                     "date_from": f"{rb.date_from} 00:00:00", "date_to": f"{rb.date_to} 00:00:00",
                     "booking_status": rb.id_status, "is_refunded": int(rb.is_refunded)} for rb in rbs]}
                for x, rbs in r.booked
            }  # fmt: skip
        if flags["get_partial_available_rooms"]:
            rooms["partially_available"] = {
                str(x.id): {**room(x), "avail_dates": [{"date_from": f.isoformat(), "date_to": t.isoformat()}
                                                        for f, t in free]} for x, free in r.partial
            }  # fmt: skip
        return {
            "id_room_type": rt.id,
            "base_price": php_float(excl / nights),
            "base_price_with_tax": php_float(incl / nights),
            "total_price": php_float(excl * n_occ),
            "total_price_with_tax": php_float(incl * n_occ),
            "name": rt.name,
            "rooms": rooms,
        }

    def render(self, p: dict[str, Any], ctx: Ctx) -> bytes:
        if p["breakdown"]:
            days = []
            d = p["date_from"]
            while d < p["date_to"]:
                days.append(self._one(p, d, d + timedelta(days=1), breakdown=True))
                d += timedelta(days=1)
            data: Any = {"hotel_aris": days}
        else:
            data = {"hotel_ari": self._one(p, p["date_from"], p["date_to"], breakdown=False)}
        if ctx.as_json:
            return dumps(_json_shape(data))
        return (XML_HEAD + _xml(data, ctx.api_url) + XML_TAIL).encode()


def _json_shape(data: dict[str, Any]) -> dict[str, Any]:
    """json_encode of the code's arrays (…HotelAri.php:759-773): room_types is a list, appended row by row (:431);
    empty PHP arrays print as [] and room-id-keyed ones as objects."""

    def ari(a: dict[str, Any]) -> dict[str, Any]:
        a = dict(a)
        a["room_types"] = [{**rt, "rooms": {k: (v or []) for k, v in rt["rooms"].items()}} for rt in a["room_types"]]
        return a

    if "hotel_aris" in data:
        return {"hotel_aris": [ari(x) for x in data["hotel_aris"]]}
    return {"hotel_ari": ari(data["hotel_ari"])}


def _xml(data: dict[str, Any], api_url: str) -> str:
    if "hotel_aris" in data:
        return "<hotel_aris>\n" + "".join(_xml_ari(a, api_url) for a in data["hotel_aris"]) + "</hotel_aris>\n"
    return _xml_ari(data["hotel_ari"], api_url)


def _leaf(name: str, value: Any, indent: str) -> str:
    return f"{indent}<{name}>{cdata(scalar(value))}</{name}>\n"


def _xml_ari(a: dict[str, Any], api_url: str) -> str:
    """getResponseXml (…HotelAri.php:603-757): xlinks on id_hotel, room_type and id_room_type; `name` translated."""
    out = ["<hotel_ari>\n"]
    for k, v in a.items():
        if k == "id_hotel":
            out.append(f'\t<id_hotel xlink:href="{api_url}hotels/{v}">{cdata(scalar(v))}</id_hotel>\n')
        elif k != "room_types":
            out.append(_leaf(k, v, "\t"))
    if not a["room_types"]:
        return "".join(out) + "</hotel_ari>\n"
    out.append("\t<room_types>\n")
    for rt in a["room_types"]:
        rid = rt["id_room_type"]
        out.append(f'\t\t<room_type id="{rid}" xlink:href="{api_url}room_types/{rid}">\n')
        out.append(f'\t\t\t<id_room_type xlink:href="{api_url}room_types/{rid}">{cdata(str(rid))}</id_room_type>\n')
        for k in ("base_price", "base_price_with_tax", "total_price", "total_price_with_tax"):
            out.append(_leaf(k, rt[k], "\t\t\t"))
        out.append(f'\t\t\t<name>\n\t\t\t\t<language id="1" xlink:href="{api_url}languages/1">'
                   f"{cdata(rt['name'])}</language>\n\t\t\t</name>\n")  # fmt: skip
        if not rt["rooms"]:
            out.append("\t\t</room_type>\n")
            continue
        out.append("\t\t\t<rooms>\n")
        for kind, rooms in rt["rooms"].items():
            if kind == "partially_available":
                out.append("\t\t\t\t<partial_available>\n")
                groups: dict[tuple[str, str], list[dict]] = {}
                for room in rooms.values():
                    for rng in room["avail_dates"]:
                        groups.setdefault((rng["date_from"], rng["date_to"]), []).append(room)
                for (f, t), members in groups.items():
                    out.append(f'\t\t\t\t\t<rooms date_from="{f}" date_to="{t}">\n')
                    for room in members:
                        out.append(_xml_room(room, "\t\t\t\t\t\t"))
                    out.append("\t\t\t\t\t</rooms>\n")
                out.append("\t\t\t\t</partial_available>\n")
                continue
            out.append(f"\t\t\t\t<{kind}>\n")
            for room in rooms.values():
                out.append(_xml_room(room, "\t\t\t\t\t"))
            out.append(f"\t\t\t\t</{kind}>\n")
        out.append("\t\t\t</rooms>\n\t\t</room_type>\n")
    out.append("\t</room_types>\n</hotel_ari>\n")
    return "".join(out)


def _xml_room(room: dict[str, Any], indent: str) -> str:
    return (
        f'{indent}<room id="{room["id_room"]}">\n'
        + _leaf("id_room", room["id_room"], indent + "\t")
        + _leaf("room_number", room["room_num"], indent + "\t")
        + f"{indent}</room>\n"
    )
