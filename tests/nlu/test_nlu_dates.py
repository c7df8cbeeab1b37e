"""Date resolution: relative, absolute and range expressions against a reference date, at the boundaries."""

from __future__ import annotations

from datetime import date

import pytest

from agent.brain.nlu.dates import StayDates, extract_stay
from agent.brain.nlu.normalize import normalize

WED = date(2026, 11, 25)
FRI = date(2026, 11, 27)
SAT = date(2026, 11, 28)
SUN = date(2026, 11, 29)


def stay(text: str, ref: date = WED, language: str = "es") -> StayDates:
    return extract_stay(normalize(text).text, ref, language)


def d(iso: str) -> date:
    return date.fromisoformat(iso)


@pytest.mark.parametrize(
    ("text", "ref", "check_in"),
    [
        ("mañana", WED, "2026-11-26"),
        ("tomorrow", WED, "2026-11-26"),
        ("pasado mañana", WED, "2026-11-27"),
        ("the day after tomorrow", WED, "2026-11-27"),
        ("hoy", WED, "2026-11-25"),
        ("en dos semanas", WED, "2026-12-09"),
        ("in two weeks", WED, "2026-12-09"),
        ("dentro de 3 días", WED, "2026-11-28"),
        ("mañana", date(2026, 12, 31), "2027-01-01"),
        ("tomorrow", date(2028, 2, 28), "2028-02-29"),
        ("mañana", date(2027, 2, 28), "2027-03-01"),
    ],
)
def test_relative_days_resolve_from_the_reference_date(text: str, ref: date, check_in: str) -> None:
    assert stay(text, ref).check_in == d(check_in)


def test_tonight_is_a_one_night_stay_starting_today() -> None:
    assert stay("a room for tonight", WED, "en") == StayDates(WED, d("2026-11-26"), 1)
    assert stay("esta noche", d("2026-12-31")) == StayDates(d("2026-12-31"), d("2027-01-01"), 1)


def test_morning_is_not_tomorrow() -> None:
    assert stay("llegamos a las 10 de la mañana").check_in is None
    assert stay("mañana por la mañana").check_in == d("2026-11-26")


@pytest.mark.parametrize(
    ("text", "ref", "check_in"),
    [
        ("el viernes", WED, "2026-11-27"),
        ("el viernes", FRI, "2026-11-27"),  # on a Friday, "el viernes" is today
        ("this friday", FRI, "2026-11-27"),
        ("next friday", FRI, "2026-12-04"),
        ("el próximo viernes", FRI, "2026-12-04"),
        ("el viernes que viene", FRI, "2026-12-04"),
        ("el lunes", SUN, "2026-11-30"),
        ("el jueves", FRI, "2026-12-03"),
        ("on saturday", date(2026, 12, 28), "2027-01-02"),
    ],
)
def test_weekdays_resolve_to_their_next_occurrence(text: str, ref: date, check_in: str) -> None:
    assert stay(text, ref).check_in == d(check_in)


@pytest.mark.parametrize(
    ("text", "ref", "check_in", "check_out"),
    [
        ("este finde", WED, "2026-11-27", "2026-11-29"),
        ("next weekend", WED, "2026-11-27", "2026-11-29"),
        ("this weekend", FRI, "2026-11-27", "2026-11-29"),
        ("this weekend", SAT, "2026-11-28", "2026-11-29"),
        ("next weekend", FRI, "2026-12-04", "2026-12-06"),
        ("el fin de semana que viene", SUN, "2026-12-04", "2026-12-06"),
        ("el finde", date(2026, 12, 30), "2027-01-01", "2027-01-03"),
    ],
)
def test_weekends_run_friday_to_sunday_or_from_today_when_it_is_saturday(
    text: str, ref: date, check_in: str, check_out: str
) -> None:
    result = stay(text, ref)
    assert (result.check_in, result.check_out) == (d(check_in), d(check_out))
    assert result.nights == (d(check_out) - d(check_in)).days


@pytest.mark.parametrize(
    ("text", "ref", "language", "check_in", "check_out"),
    [
        ("del 3 al 5 de diciembre", WED, "es", "2026-12-03", "2026-12-05"),
        ("Dec 3-5", WED, "en", "2026-12-03", "2026-12-05"),
        ("3/12 al 5/12", WED, "es", "2026-12-03", "2026-12-05"),
        ("12/3 to 12/5", WED, "en", "2026-12-03", "2026-12-05"),
        ("from the 3rd to the 5th", WED, "en", "2026-12-03", "2026-12-05"),
        ("24-26 december", WED, "en", "2026-12-24", "2026-12-26"),
        ("entre el 10 y el 12 de enero", WED, "es", "2027-01-10", "2027-01-12"),
        ("del 30 de diciembre al 2 de enero", WED, "es", "2026-12-30", "2027-01-02"),
        ("31/12 - 2/1", d("2026-12-28"), "en", "2026-12-31", "2027-01-02"),
        ("del 28 al 3", d("2026-12-28"), "es", "2026-12-28", "2027-01-03"),
        ("del 28 al 3 de enero", WED, "es", "2026-12-28", "2027-01-03"),
        ("feb 28 to mar 1 2028", d("2028-02-25"), "en", "2028-02-28", "2028-03-01"),
        ("28/2 al 1/3", d("2027-02-26"), "es", "2027-02-28", "2027-03-01"),
        ("llegamos el sábado y nos vamos el lunes", WED, "es", "2026-11-28", "2026-11-30"),
        ("2026-12-30 to 2027-01-03", WED, "en", "2026-12-30", "2027-01-03"),
        ("del 30/11 al 2/12", WED, "es", "2026-11-30", "2026-12-02"),
    ],
)
def test_ranges_give_exclusive_check_out_and_matching_nights(
    text: str, ref: date, language: str, check_in: str, check_out: str
) -> None:
    result = stay(text, ref, language)
    assert (result.check_in, result.check_out) == (d(check_in), d(check_out))
    assert result.nights == (d(check_out) - d(check_in)).days


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("from the 3rd for 2 nights", "en", ("2026-12-03", "2026-12-05", 2)),
        ("2 noches desde el viernes", "es", ("2026-11-27", "2026-11-29", 2)),
        ("mañana, tres noches", "es", ("2026-11-26", "2026-11-29", 3)),
        ("from friday for a week", "en", ("2026-11-27", "2026-12-04", 7)),
        ("el finde pero 3 noches", "es", ("2026-11-27", "2026-11-30", 3)),
        ("una noche el 31 de diciembre", "es", ("2026-12-31", "2027-01-01", 1)),
    ],
)
def test_start_plus_nights_gives_check_out(text: str, language: str, expected: tuple[str, str, int]) -> None:
    result = stay(text, WED, language)
    assert (result.check_in, result.check_out, result.nights) == (d(expected[0]), d(expected[1]), expected[2])


def test_date_without_year_is_next_occurrence_on_or_after_reference() -> None:
    assert stay("el 25 de noviembre", WED).check_in == WED
    assert stay("el 24 de noviembre", WED).check_in == d("2027-11-24")
    assert stay("el 3 de enero", WED).check_in == d("2027-01-03")


def test_bare_day_of_month_skips_months_too_short() -> None:
    assert stay("el 31", WED).check_in == d("2026-12-31")
    assert stay("el 30", d("2027-01-31")).check_in == d("2027-03-30")
    assert stay("the 29th", d("2027-02-01"), "en").check_in == d("2027-03-29")


def test_feb_29_waits_for_a_leap_year() -> None:
    assert stay("29 de febrero", WED).check_in == d("2028-02-29")
    assert stay("29 feb", d("2028-02-25")).check_in == d("2028-02-29")
    assert stay("29 de febrero al 2 de marzo", d("2028-02-01")).nights == 2


def test_month_end_ranges_cross_into_the_next_month() -> None:
    result = stay("del 30 de abril al 2 de mayo", WED)
    assert (result.check_in, result.check_out, result.nights) == (d("2027-04-30"), d("2027-05-02"), 2)
    result = stay("del 31 de julio al 2 de agosto", d("2026-07-31"))
    assert (result.check_in, result.nights) == (d("2026-07-31"), 2)


def test_impossible_dates_are_dropped_not_invented() -> None:
    assert stay("el 31 de febrero") == StayDates()
    assert stay("el 32 de enero") == StayDates()


def test_spanish_numeric_dates_are_day_first_english_month_first_unless_impossible() -> None:
    assert stay("el 3/12", WED, "es").check_in == d("2026-12-03")
    assert stay("on 3/12", WED, "en").check_in == d("2027-03-12")
    assert stay("on 25/12", WED, "en").check_in == d("2026-12-25")


def test_departure_cue_alone_sets_check_out_only() -> None:
    result = stay("hasta el 5", WED)
    assert (result.check_in, result.check_out) == (None, d("2026-12-05"))


def test_changed_date_keeps_the_new_one() -> None:
    assert stay("en vez del viernes llegamos el sábado", WED).check_in == SAT
    assert stay("I booked for Friday but I need to change it to Saturday", WED, "en").check_in == SAT


def test_holidays_resolve_to_their_next_occurrence() -> None:
    assert stay("nochevieja", WED).check_in == d("2026-12-31")
    assert stay("christmas eve", d("2026-12-25"), "en").check_in == d("2027-12-24")


def test_check_out_before_check_in_rolls_forward_instead_of_going_backwards() -> None:
    result = stay("del 5 de enero al 3 de enero", WED)
    assert result.check_out is None or result.check_out > result.check_in  # type: ignore[operator]
    assert result.check_in == d("2027-01-05")


def test_stated_nights_do_not_override_explicit_dates() -> None:
    result = stay("del 3 al 5 de diciembre, 3 noches", WED)
    assert (result.check_in, result.check_out, result.nights) == (d("2026-12-03"), d("2026-12-05"), 2)


def test_reference_date_near_the_end_of_time_does_not_overflow() -> None:
    result = stay("pasado mañana 3 noches", date(9999, 12, 30))
    assert result.check_out is None or (result.check_in is not None and result.check_out > result.check_in)


def test_departure_and_nights_give_arrival_but_never_before_the_reference_date() -> None:
    assert stay("until the 5th, 2 nights", WED, "en") == StayDates(d("2026-12-03"), d("2026-12-05"), 2)
    assert stay("until the 28th for 5 nights", FRI, "en") == StayDates(None, d("2026-11-28"), 5)
