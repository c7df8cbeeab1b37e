"""Pure units: pricing, refund rules, calendars, fault randomness, list-parameter parsing (with properties)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.qloapps.errors import WsError
from simulators.qloapps.faults import FaultBook, FaultSpec
from simulators.qloapps.inventory import Overbooking, RoomCalendar
from simulators.qloapps.models import FeaturePrice, RefundRule, RoomType
from simulators.qloapps.pricing import nightly_prices, refund_amount, refund_rule_for
from simulators.qloapps.query import matches, parse_filter, parse_limit, parse_sort
from simulators.qloapps.resources import GENERIC, is_date

RT = RoomType(id=1, id_hotel_room_type=1, id_hotel=1, name="Doble", price=Decimal(100))
D = date(2027, 7, 1)  # a Thursday


def fp(i: int, way: int, kind: int, value: str, f: date, t: date, days: list[str] | None = None) -> FeaturePrice:
    return FeaturePrice(i, 1, f"rule {i}", way, kind, Decimal(value), f, t, 2 if days else 1, days or [])


def test_feature_prices_increase_decrease_fixed_and_weekdays():
    rules = [
        fp(1, 2, 1, "20", D, D + timedelta(days=30)),  # +20 % all July
        fp(2, 1, 2, "15", D + timedelta(days=1), D + timedelta(days=1)),  # -15 on the 2nd (newer range wins)
        fp(3, 3, 2, "250", D, D + timedelta(days=30), ["sat"]),  # fixed 250 on Saturdays (beats ranges)
    ]
    prices = [p for _, p in nightly_prices(RT, rules, D - timedelta(days=1), D + timedelta(days=3))]
    assert prices == [Decimal(100), Decimal(120), Decimal(85), Decimal(250)]


def test_inactive_rule_and_other_room_type_do_not_apply():
    rules = [fp(1, 2, 2, "50", D, D)]
    rules[0].active = False
    other = fp(2, 2, 2, "50", D, D)
    other.id_product = 9
    assert [p for _, p in nightly_prices(RT, [*rules, other], D, D + timedelta(days=1))] == [Decimal(100)]


def test_refund_rule_is_the_largest_days_not_above_days_before_arrival():
    rules = [RefundRule(1, "a", 15, 2, Decimal(10), Decimal(20)), RefundRule(2, "b", 7, 2, Decimal(50), Decimal(60)),
             RefundRule(3, "c", 0, 1, Decimal(80), Decimal(80))]  # fmt: skip
    assert refund_rule_for(rules, 30).id == 1 and refund_rule_for(rules, 15).id == 1
    assert refund_rule_for(rules, 14).id == 2 and refund_rule_for(rules, 0).id == 3
    assert refund_amount(refund_rule_for(rules, 10), Decimal(200)) == Decimal("100.00")
    assert refund_amount(refund_rule_for(rules, 1), Decimal(200)) == Decimal("120.00")  # fixed 80 deduction
    assert refund_amount(None, Decimal(200)) == Decimal(0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 10)), max_size=40), st.integers(0, 60), st.integers(1, 10))
def test_calendar_agrees_with_a_night_set(stays, qs, qn):
    cal = RoomCalendar()
    nights: set[int] = set()
    base = date(2027, 1, 1).toordinal()
    for i, (s, n) in enumerate(stays):
        wanted = set(range(s, s + n))
        f, t = date.fromordinal(base + s), date.fromordinal(base + s + n)
        if wanted & nights:
            with pytest.raises(Overbooking):
                cal.hold(f, t, i)
        else:
            cal.hold(f, t, i)
            nights |= wanted
    qf, qt = date.fromordinal(base + qs), date.fromordinal(base + qs + qn)
    assert cal.is_free(qf, qt) == (not (set(range(qs, qs + qn)) & nights))
    assert sum(t - f for f, t, _ in [(a.toordinal(), b.toordinal(), i) for a, b, i in cal.overlapping(
        date.fromordinal(base), date.fromordinal(base + 100))]) == len(nights)  # fmt: skip


def test_fault_randomness_repeats_for_a_seed_and_differs_across_seeds():
    def draws(seed: int) -> list[tuple[bool, float]]:
        book = FaultBook()
        book.add(FaultSpec(kind="error", rate=0.5, seed=seed))
        book.add(
            FaultSpec(kind="latency", distribution={"type": "lognormal", "median_ms": 50, "sigma": 0.5}, seed=seed)
        )
        return [(d.action == "error", round(d.delay_ms, 6)) for d in (book.decide("hotels", "GET") for _ in range(50))]

    assert draws(1) == draws(1) and draws(1) != draws(2)


def test_fault_targeting_and_precedence():
    book = FaultBook()
    book.add(FaultSpec(kind="error"))
    book.add(FaultSpec(kind="down", resource="bookings"))
    assert book.decide("bookings", "POST").action == "down"
    assert book.decide("hotels", "GET").action == "error"


@pytest.mark.parametrize(
    ("raw", "op", "values"),
    [("[5]", "eq", ["5"]), ("[a|b]", "eq", ["a", "b"]), ("[1,10]", "between", ["1", "10"]), (">[3]", "gt", ["3"]),
     ("<[3]", "lt", ["3"]), ("![a|b]", "ne", ["a", "b"]), ("[ab]%", "like", ["ab%"]), ("%[ab]", "like", ["%ab"]),
     ("%[ab]%", "like", ["%ab%"]), ("ab", "like", ["ab"]), ("[2027-01-01,2027-02-01]", "between",
     ["2027-01-01", "2027-02-01"])],
)  # fmt: skip
def test_filter_syntax(raw, op, values):
    f = parse_filter("email" if "a" in raw else "id", raw, GENERIC["customers"], allow_dates=False)
    assert (f.op, f.values) == (op, values)


@given(st.text(alphabet=st.characters(blacklist_characters="[]|%", blacklist_categories=("Cs",)), min_size=1))
def test_bracketed_value_filters_exactly_that_value_case_insensitively(value):
    f = parse_filter("email", f"[{value}]", GENERIC["customers"], allow_dates=False)
    assert matches({"email": value}, [f]) and matches({"email": value.upper()}, [f]) == (
        value.upper().lower() == value.lower()
    )
    assert not matches({"email": value + "x"}, [f])


@given(st.text(max_size=20))
def test_sort_and_limit_parsers_accept_or_raise_their_codes(raw):
    for parser, code in ((lambda v: parse_sort(v, GENERIC["hotels"]), (37, 38)), (parse_limit, (39,))):
        try:
            parser(raw)
        except WsError as exc:
            assert exc.code in code and exc.status == 400


@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
def test_is_date_accepts_real_days_and_refuses_impossible_ones(d):
    assert is_date(d.isoformat()) and is_date(d.isoformat() + " 12:30:00")
    assert not is_date(f"{d.year:04d}-02-30") and not is_date(f"{d.year:04d}-13-01")


XML_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"), max_size=40)


@settings(max_examples=200, deadline=None)
@given(name=XML_TEXT, note=XML_TEXT)
def test_xml_and_json_rendering_round_trip_any_text(name, note):
    import json
    import xml.etree.ElementTree as ET

    from simulators.qloapps.wire import XML_HEAD, XML_TAIL, Rendered, json_entity, xml_entity

    r = Rendered({"id": 7, "name": name, "note": note, "id_lang": 1}, {"name"}, {"id_lang": "languages"})
    xml = XML_HEAD + xml_entity("thing", r, "http://h/api/", [1], fields=None, with_assocs=True) + XML_TAIL
    el = ET.fromstring(xml.encode()).find("thing")
    assert (el.find("name/language").text or "") == name
    assert (el.findtext("note") or "") == note
    assert el.find("id_lang").get("{http://www.w3.org/1999/xlink}href") == "http://h/api/languages/1"
    assert json.loads(json.dumps(json_entity(r, fields=None, with_assocs=True))) == {
        "id": 7, "name": name, "note": note, "id_lang": "1"}  # fmt: skip
