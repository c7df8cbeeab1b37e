"""Stay dates from normalised text: absolute, relative and range expressions, resolved against a reference date.

Rules (docs/nlu.md): a date without a year is its next occurrence on or after the reference date; a range's end
is its next occurrence after the start; check_out is exclusive; nights = check_out - check_in, always > 0.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from agent.brain.nlu.lexicon import AMBIGUOUS_MONTHS, ARTICLE_ONE, MONTHS, NUMBER_WORDS, WEEKDAYS
from agent.brain.nlu.wordrules import compile_rule

MAX_NIGHTS = 365


@dataclass(frozen=True)
class StayDates:
    """What the message says about the stay; any part may be missing, but never check_out <= check_in."""

    check_in: date | None = None
    check_out: date | None = None
    nights: int | None = None


@dataclass
class _Mention:
    start: int
    end: int
    day: int | None = None
    month: int | None = None
    year: int | None = None
    fixed: date | None = None  # already resolved (relative words, weekdays, holidays)
    weekend_out: date | None = None  # a weekend carries its own departure
    weekday: int | None = None  # "el lunes": resolved after the check-in when it is the departure
    tonight: bool = False
    group: int | None = None  # two mentions of one range pattern share a group


def _alternation(words: list[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_MONTH = rf"(?:{_alternation(list(MONTHS))})"
_FULL_MONTH = rf"(?:{_alternation([m for m in MONTHS if m not in AMBIGUOUS_MONTHS])})"
_WEEKDAY = rf"(?:{_alternation(list(WEEKDAYS))})"
_NUM = rf"(?:\d{{1,3}}|{_alternation([*NUMBER_WORDS, *ARTICLE_ONE])})"
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th|o)?"
_UNIT_AFTER = (
    r"(?!\s?(?:noches?|nights?|personas?|people|adults?|adultos?|ninos?|ninas?|kids?|children|child|"
    r"habitacion(?:es)?|rooms?|guests?|huespedes|de la|:|h\b|hrs?\b|horas?|am\b|pm\b|a\.?m|p\.?m))"
)
_SEP = r"(?:\s?-\s?|\s(?:al|a|to|till|until|hasta|y|and|through|thru)\s(?:el\s|the\s)?)"
_YEAR = r"(?:,?\s(?:de\s|del\s|of\s)?(?P<y>20\d\d))?"

_RANGE_DAYS_MONTH = re.compile(
    rf"\b(?:(?:del|desde el|desde|from the|from|entre el|entre|between the|between)\s)?"
    rf"(?P<d1>{_DAY}){_SEP}(?P<d2>{_DAY})\s(?:de\s|of\s)?(?P<m>{_MONTH})\b{_YEAR}"
)
_RANGE_MONTH_DAYS = re.compile(
    rf"\b(?P<m>{_MONTH})\s(?:the\s)?(?P<d1>{_DAY}){_SEP}(?P<d2>{_DAY})\b{_UNIT_AFTER}{_YEAR}"
)
_RANGE_DAYS = re.compile(
    rf"\b(?:(?:del|desde el|from the|from|entre el|between the|al)\s(?P<d1>{_DAY}){_SEP}(?P<d2>{_DAY})"
    rf"|(?P<o1>[0-3]?\d)(?:st|nd|rd|th){_SEP}(?P<o2>[0-3]?\d)(?:st|nd|rd|th))\b{_UNIT_AFTER}"
)
# "18-20", "15 to 17", "al 12-14": two bare days close together, the second later than the first.
_RANGE_BARE = re.compile(
    rf"(?<![\d/.:-])\b(?P<d1>[0-3]?\d)(?:\s?-\s?|\s(?:to|till|until|al|a)\s)(?P<d2>[0-3]?\d)\b{_UNIT_AFTER}"
    rf"(?!\s?(?:years?|anos|meses|months|de la|del? (?:tarde|manana|noche)))"
)
# "el sábado 5", "monday the 14th": the day number says which one; the weekday only describes it.
_WEEKDAY_BEFORE_DAY = re.compile(rf"\b{_WEEKDAY}\s(?=(?:the\s)?[0-3]?\d(?:st|nd|rd|th)?\b{_UNIT_AFTER})")
_DOUBLE_ARTICLE = re.compile(r"\b(el|the) (?:el|the) ")
_PLURAL_WEEKDAY = re.compile(rf"\b(?:los|todos los)\s{_WEEKDAY}s?\b|\b(?:on|every)\s{_WEEKDAY}s\b")
# "el finde del 11", "the weekend of the 11th": the weekend starting that day.
_WEEKEND_OF = re.compile(r"\b(?:finde|weekend)\s(?:del|de el|of the|of)\s(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b")
_DAY_MONTH = re.compile(rf"\b(?P<d>{_DAY})\s(?:de\s|of\s)?(?P<m>{_MONTH})\b{_YEAR}")
_MONTH_DAY = re.compile(rf"\b(?P<m>{_MONTH})\s(?:the\s)?(?P<d>{_DAY})\b{_UNIT_AFTER}{_YEAR}")
_ISO = re.compile(r"\b(?P<y>\d{4})-(?P<a>\d{1,2})-(?P<b>\d{1,2})\b")
_NUMERIC = re.compile(r"(?<![\d/.\-])(?P<a>\d{1,2})[/.](?P<b>\d{1,2})(?:[/.](?P<y>\d{4}|\d{2}))?(?![\d/.])")
_NUMERIC_DASH_YEAR = re.compile(r"(?<![\d/.\-])(?P<a>\d{1,2})-(?P<b>\d{1,2})-(?P<y>\d{4})(?![\d/.\-])")
_BARE_DAY = re.compile(
    rf"\b(?:el|del|al|the|on the|on|from the|desde el|hasta el|para el|pal|dia|day|until the|by the)\s"
    rf"(?P<d>[0-3]?\d)(?:st|nd|rd|th|o)?\b{_UNIT_AFTER}"
    rf"|\b(?P<o>[0-3]?\d)(?:st|nd|rd|th)\b{_UNIT_AFTER}"
)
RELATIVE_WORDS = (
    r"hoy (?:en|por) la noche|this night|tonite|hoy|today|tonight|esta noche|this evening|manana|tomorrow|"
    r"pasadomanana"
)
_TONIGHT = ("tonight", "esta noche", "this evening", "hoy en la noche", "hoy por la noche", "this night", "tonite")
_RELATIVE = compile_rule(rf"\b(?:{RELATIVE_WORDS})\b")
_WEEKDAY_RE = re.compile(
    rf"\b(?:(?P<mod>next|proximo|this|este|coming)\s)?(?P<w>{_WEEKDAY})\b(?P<post>\s(?:que viene|proximo|next))?"
)
_WEEKEND = re.compile(
    r"\b(?:(?P<mod>next|proximo|this|este|coming)\s)?(?:finde|weekend)\b(?P<post>\s(?:que viene|proximo))?"
)
_OFFSET = compile_rule(
    rf"\b(?:en|in|dentro de|within)\s(?P<n>{_NUM})\s(?P<u>dias?|days?|semanas?|weeks?)\b(?!\s(?:noches?|nights?))"
)
_HOLIDAYS: dict[str, tuple[int, int]] = {
    "nochevieja": (12, 31),
    "nochebuena": (12, 24),
    "navidad": (12, 25),
    "christmas": (12, 25),
    "newyearsday": (1, 1),
    "boxing day": (12, 26),
    "silvester": (12, 31),
}
_HOLIDAY_RE = compile_rule(rf"\b(?:{_alternation(list(_HOLIDAYS))})\b")
_CONTEXT_MONTH = compile_rule(rf"\b(?:en|in|de|of|for|para|durante|during)\s(?P<m>{_FULL_MONTH})\b")

_NIGHTS = re.compile(
    rf"\b(?P<n>{_NUM})[\s-](?:noches?|nights?)\b"
    r"|\b(?:cuesta|vale|sale|cuestan|precio de|price of|cost of) la noche\b"
    r"|\b(?:solo esa noche|esa noche|that night|just that night|that one night)\b"
)
# "una noche más", "add another night": nights added to a stay, not the stay's length.
_EXTRA_AFTER = re.compile(r"^\s(?:mas|more|extra|adicional|additional)\b")
_EXTRA_BEFORE = re.compile(
    r"\b(?:otra|another|one more|extra|anadir|agregar|sumar|add|(?:ampliar|extender|extend|alargar)(?:\s\w+){0,2})\s$"
)
# "retrasar la reserva una semana": a shift of the stay, not its length.
_SHIFT = compile_rule(r"\b(?:retrasar|adelantar|aplazar|posponer|postpone|forward|anticipate|push|back|move|mover)\b")
_OTHER_WEEKEND = re.compile(r"\b(?:otro|otra|another|other)\s$")
_WEEKS = re.compile(rf"(?<!\ben )(?<!\bin )(?<!\bde )(?<!\bwithin )\b(?P<n>{_NUM})\s(?:semanas?|weeks?)\b")

_CONNECTOR = re.compile(r"^\s*(?:-|al|a|to|till|until|hasta|y|and|through|thru)?\s*(?:el|the|on)?\s*$")
_OUT_CUE = re.compile(
    r"(?:hasta|until|till|salida|salimos|salimo|salgo|nos vamos|nos vamo|me voy|vamos el|nos iriamos|"
    r"saldriamos|nos ibamos|leave|leaving|we leave|go away|departure|depart|checkout)"
    r"(?:\s(?:el|the|on|on the|el dia))?\s$"
)
_OLD_CUE = re.compile(
    r"(?:en vez de|en vez del|en lugar de|en lugar del|instead of|booked for|booking is for|reservation is for|"
    r"reserva es para|reserva era para|tenia reserva para|was for|era para)(?:\s(?:el|the|on))?\s$"
)
_CHANGE_CUE = re.compile(r"\b(?:cambiar|cambia|change|instead|en vez|en lugar|move|mover|pasar)\b")
# A second range after one of these replaces the first: "en vez del 15 al 17 sería del 16 al 18".
_CORRECTION_CUE = re.compile(
    r"\b(?:cambiar|cambia|cambiarla|change|instead|en vez|en lugar|move|mover|pasar|pasarla|mejor|better|actually|"
    r"perdon|sorry|equivoque|equivocado|mistake|wrong|seria|it'?d be|no era|not the)\b"
)
_NEGATED_CUE = re.compile(r"\b(?:no|not|no es|no era|not from)(?:\s(?:el|del|de|the|from))?\s$")
_GOODBYE_TAIL = re.compile(r"\bhasta manana\s*$")
_MORNING = re.compile(r"\b(?:la|de|por|esta|this)\s$")


def number_value(word: str) -> int | None:
    """The integer a digit string or a number word stands for ("dos", "two", "3", "una")."""
    if word.isdigit():
        return int(word)
    if word in ARTICLE_ONE:
        return 1
    return NUMBER_WORDS.get(word)


def _day(text: str | None) -> int | None:
    if not text:
        return None
    digits = re.match(r"\d+", text)
    value = int(digits.group()) if digits else 0
    return value if 1 <= value <= 31 else None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except (ValueError, OverflowError):
        return None


def _add_days(base: date, days: int) -> date | None:
    try:
        return base + timedelta(days=days)
    except OverflowError:
        return None


def _next_day_month(day: int, month: int, not_before: date) -> date | None:
    """The first date on or after not_before with this day and month (Feb 29 waits for a leap year)."""
    for year in range(not_before.year, min(not_before.year + 9, date.max.year + 1)):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate >= not_before:
            return candidate
    return None


def _next_day_of_month(day: int, not_before: date) -> date | None:
    """The first date on or after not_before falling on this day of a month (skipping months too short)."""
    year, month = not_before.year, not_before.month
    for _ in range(14):
        if day <= calendar.monthrange(year, month)[1]:
            candidate = _safe_date(year, month, day)
            if candidate is not None and candidate >= not_before:
                return candidate
        month += 1
        if month > 12:
            year, month = year + 1, 1
        if year > date.max.year:
            return None
    return None


def _resolve(m: _Mention, not_before: date, context_month: int | None) -> date | None:
    if m.weekday is not None:
        return _weekday_date(not_before, m.weekday, False) if not m.fixed or not_before > m.fixed else m.fixed
    if m.fixed is not None:
        return m.fixed
    if m.day is None:
        return None
    if m.year is not None and m.month is not None:
        return _safe_date(m.year, m.month, m.day)
    month = m.month or context_month
    if month is not None:
        return _next_day_month(m.day, month, not_before)
    return _next_day_of_month(m.day, not_before)


def _weekday_date(ref: date, weekday: int, strictly_after: bool) -> date | None:
    ahead = (weekday - ref.weekday()) % 7
    if ahead == 0 and strictly_after:
        ahead = 7
    return _add_days(ref, ahead)


def _weekend(ref: date, is_next: bool) -> tuple[date | None, date | None]:
    """Friday to Sunday; "this weekend" on a Saturday starts today, "next weekend" on Fri-Sun is the following one."""
    wd = ref.weekday()
    if wd in (5,) and not is_next:
        start = ref
    elif wd == 6 or (is_next and wd >= 4):
        start = _add_days(ref, (4 - wd) % 7 or 7)
    else:
        start = _add_days(ref, (4 - wd) % 7)
    if start is None:
        return None, None
    end = _add_days(start, 6 - start.weekday())
    return start, end


def _numeric_day_first(text: str, language: str) -> bool:
    pairs = [(int(m.group("a")), int(m.group("b"))) for m in _NUMERIC.finditer(text)]
    if any(a > 12 for a, _ in pairs):
        return True
    if any(b > 12 for _, b in pairs):
        return False
    return language != "en"


# Every day-number pattern needs a digit: a message without one skips them (most messages state no number).
_ANY_DIGIT = re.compile(r"\d")


class _Finder:
    def __init__(self, text: str, ref: date, language: str, digits: bool = True) -> None:
        self.text = text
        self.ref = ref
        self.language = language
        self.digits = digits
        self.mentions: list[_Mention] = []
        self.taken: list[tuple[int, int]] = []
        self.groups = 0

    def free(self, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in self.taken)

    def add(self, *mentions: _Mention) -> None:
        self.mentions.extend(mentions)
        self.taken.append((min(m.start for m in mentions), max(m.end for m in mentions)))

    def ranges(self) -> None:
        if not self.digits:
            return
        for pattern in (_RANGE_DAYS_MONTH, _RANGE_MONTH_DAYS, _RANGE_DAYS, _RANGE_BARE):
            for match in pattern.finditer(self.text):
                if not self.free(match.start(), match.end()):
                    continue
                groups = match.groupdict()
                d1 = _day(groups.get("d1") or groups.get("o1"))
                d2 = _day(groups.get("d2") or groups.get("o2"))
                if d1 is None or d2 is None:
                    continue
                if pattern is _RANGE_BARE and not 0 < d2 - d1 <= 14:
                    continue
                month = MONTHS.get(groups["m"]) if groups.get("m") else None
                year = int(groups["y"]) if groups.get("y") else None
                month1, year1 = month, year
                if month is not None and d1 > d2:
                    # "del 28 al 3 de enero": the start belongs to the month before.
                    month1 = 12 if month == 1 else month - 1
                    year1 = year - 1 if (year is not None and month == 1) else year
                self.groups += 1
                start = match.start("d1") if groups.get("d1") else match.start("o1")
                first = _Mention(start, start + 1, d1, month1, year1, group=self.groups)
                second = _Mention(match.end() - 1, match.end(), d2, month, year, group=self.groups)
                self.add(first, second)

    def singles(self) -> None:
        if self.digits:
            self._numbered()
        for match in _HOLIDAY_RE.finditer(self.text):
            month, day = _HOLIDAYS[match.group()]
            self._fixed(match, _next_day_month(day, month, self.ref))
        for match in _WEEKEND_OF.finditer(self.text) if self.digits else ():
            day = _day(match.group("d"))
            start = _next_day_of_month(day, self.ref) if day else None
            end = _add_days(start, (6 - start.weekday()) or 7) if start else None
            if start is not None and end is not None and self.free(match.start(), match.end()):
                self.add(_Mention(match.start(), match.end(), fixed=start, weekend_out=end))
        for match in _WEEKEND.finditer(self.text):
            if _OTHER_WEEKEND.search(self.text[: match.start()]):
                continue
            is_next = bool(match.group("mod") in ("next", "proximo", "coming") or match.group("post"))
            start, end = _weekend(self.ref, is_next)
            if start is not None and end is not None and self.free(match.start(), match.end()):
                self.add(_Mention(match.start(), match.end(), fixed=start, weekend_out=end))
        for match in _WEEKDAY_RE.finditer(self.text):
            is_next = bool(match.group("mod") in ("next", "proximo") or match.group("post"))
            weekday = WEEKDAYS[match.group("w")]
            value = _weekday_date(self.ref, weekday, is_next)
            if value is not None and self.free(match.start(), match.end()):
                self.add(_Mention(match.start(), match.end(), fixed=value, weekday=weekday))
        for match in _OFFSET.finditer(self.text):
            n = number_value(match.group("n"))
            if n is not None and n <= 400:
                days = n * 7 if match.group("u").startswith(("semana", "week")) else n
                self._fixed(match, _add_days(self.ref, days))
        for match in _RELATIVE.finditer(self.text):
            self._relative(match)
        for match in _BARE_DAY.finditer(self.text) if self.digits else ():
            group = "d" if match.group("d") else "o"
            day = _day(match.group(group))
            # The mention starts at the number, so "hasta el 5" leaves "hasta el " as the cue before it.
            if day is not None and self.free(match.start(), match.end()):
                self.add(_Mention(match.start(group), match.end(), day))

    def _numbered(self) -> None:
        """Dates written with day numbers: ISO, numeric, "3 de diciembre", "Dec 3"."""
        day_first = _numeric_day_first(self.text, self.language)
        for match in _ISO.finditer(self.text):
            self._absolute(match, int(match.group("b")), int(match.group("a")), int(match.group("y")))
        for pattern in (_NUMERIC_DASH_YEAR, _NUMERIC):
            for match in pattern.finditer(self.text):
                a, b = int(match.group("a")), int(match.group("b"))
                # "4.12." is day first wherever it is written (dots are the European form).
                day, month = (a, b) if day_first or "." in match.group() else (b, a)
                year_text = match.group("y")
                year = None if not year_text else int(year_text) + (2000 if len(year_text) == 2 else 0)
                self._absolute(match, day, month, year)
        for pattern in (_DAY_MONTH, _MONTH_DAY):
            for match in pattern.finditer(self.text):
                day = _day(match.group("d"))
                year = int(match.group("y")) if match.group("y") else None
                if day is not None:
                    self._absolute(match, day, MONTHS[match.group("m")], year)

    def _absolute(self, match: re.Match[str], day: int, month: int, year: int | None) -> None:
        if 1 <= month <= 12 and 1 <= day <= 31 and self.free(match.start(), match.end()):
            self.add(_Mention(match.start(), match.end(), day, month, year))

    def _fixed(self, match: re.Match[str], value: date | None) -> None:
        if value is not None and self.free(match.start(), match.end()):
            self.add(_Mention(match.start(), match.end(), fixed=value))

    def _relative(self, match: re.Match[str]) -> None:
        word = match.group()
        before = self.text[: match.start()]
        if word == "manana" and (_MORNING.search(before) or _GOODBYE_TAIL.search(self.text)):
            return  # "por la mañana" is the morning; "hasta mañana" is a farewell
        offsets = {"manana": 1, "tomorrow": 1, "pasadomanana": 2}
        value = _add_days(self.ref, offsets.get(word, 0))
        if value is not None and self.free(match.start(), match.end()):
            self.add(_Mention(match.start(), match.end(), fixed=value, tonight=word in _TONIGHT))


def _context_month(text: str) -> int | None:
    found = _CONTEXT_MONTH.search(text)
    return MONTHS[found.group("m")] if found else None


def _stated_nights(text: str) -> tuple[int | None, bool]:
    """Nights the guest states ("2 noches", "a week"); the flag says a number was seen at all."""
    for match in _NIGHTS.finditer(text):
        if _EXTRA_AFTER.match(text[match.end() :]) or _EXTRA_BEFORE.search(text[: match.start()]):
            continue
        n = number_value(match.group("n")) if match.group("n") else 1
        if n is not None and 0 < n <= MAX_NIGHTS:
            return n, True
    for match in _WEEKS.finditer(text if not _SHIFT.search(text) else ""):
        n = number_value(match.group("n"))
        if n is not None and 0 < n * 7 <= MAX_NIGHTS:
            return n * 7, True
    return None, False


def extract_stay(text: str, reference_date: date, language: str = "es") -> StayDates:
    """Check-in, check-out and nights stated in normalised text, resolved against the reference date."""
    digits = _ANY_DIGIT.search(text) is not None  # the substitutions below add none
    text = _PLURAL_WEEKDAY.sub(" ", text)
    if digits:
        text = _WEEKDAY_BEFORE_DAY.sub("the " if language == "en" else "el ", text)
    text = _DOUBLE_ARTICLE.sub(r"\1 ", text)
    finder = _Finder(text, reference_date, language, digits)
    finder.ranges()
    finder.singles()
    mentions = sorted(finder.mentions, key=lambda m: m.start)
    nights, _ = _stated_nights(text)
    context = _context_month(text)

    if len(mentions) > 1:
        # "en vez del viernes ... el sábado": drop the old date when a new one is given.
        old = {id(m) for m in mentions if _OLD_CUE.search(text[: m.start])}
        old_groups = {m.group for m in mentions if id(m) in old and m.group is not None}
        kept = [m for m in mentions if id(m) not in old and (m.group is None or m.group not in old_groups)]
        mentions = kept or mentions

    check_in: date | None = None
    check_out: date | None = None
    ranges = _complete_ranges(mentions, text)
    if ranges:
        if len(ranges) > 1 and _CORRECTION_CUE.search(text):
            first, second = ranges[-1]
        else:
            first, second = next((r for r in ranges if r[1].month is not None), ranges[0])
        check_in = _resolve(first, reference_date, context)
        if check_in is not None:
            after = _add_days(check_in, 1)
            check_out = _resolve(second, after, second.month or first.month or context) if after else None
    elif any(m.weekend_out for m in mentions):
        weekend = next(m for m in mentions if m.weekend_out)
        check_in, check_out = weekend.fixed, weekend.weekend_out
        if nights is not None:
            check_out = None
    elif mentions:
        first = mentions[0]
        second = mentions[1] if len(mentions) > 1 else None
        between = text[first.end : second.start] if second else ""
        if second is not None and (_CONNECTOR.match(between) or _OUT_CUE.search(text[: second.start])):
            check_in = _resolve(first, reference_date, context)
            after = _add_days(check_in, 1) if check_in else None
            check_out = _resolve(second, after, first.month or context) if after else None
        else:
            chosen = second if (second is not None and _CHANGE_CUE.search(text)) else first
            value = _resolve(chosen, reference_date, context)
            if _OUT_CUE.search(text[: chosen.start]):
                check_out = value
            else:
                check_in = value
                if chosen.tonight and nights is None:
                    nights = 1
    if check_in is not None:
        # "el 18 y 19, nos iríamos el 20": a departure stated after the nights sets the check-out.
        departure = next((m for m in reversed(mentions) if _OUT_CUE.search(text[: m.start])), None)
        later = _resolve(departure, check_in, departure.month or context) if departure else None
        if later is not None and later > (check_out or check_in):
            check_out = later
    return _consistent(check_in, check_out, nights, reference_date)


def _complete_ranges(mentions: list[_Mention], text: str) -> list[tuple[_Mention, _Mention]]:
    """Each range stated (both ends present), minus ranges the guest negates ("no del 4 al 6") if others remain."""
    pairs: list[tuple[_Mention, _Mention]] = []
    for m in mentions:
        if m.group is None or any(m.group == p[0].group for p in pairs):
            continue
        partner = next((o for o in mentions if o.group == m.group and o is not m), None)
        if partner is not None:
            pairs.append((m, partner))
    affirmed = [p for p in pairs if not _NEGATED_CUE.search(text[: p[0].start])]
    return affirmed or pairs


def _consistent(check_in: date | None, check_out: date | None, nights: int | None, reference: date) -> StayDates:
    if check_in is not None and check_out is not None:
        span = (check_out - check_in).days
        if 0 < span <= MAX_NIGHTS:
            return StayDates(check_in, check_out, span)
        check_out = None
    if check_in is not None and nights is not None:
        return StayDates(check_in, _add_days(check_in, nights), nights)
    if check_out is not None and nights is not None:
        start = _add_days(check_out, -nights)
        # "until the 28th for 5 nights" must not start before today.
        if start is not None and start >= reference:
            return StayDates(start, check_out, nights)
        return StayDates(None, check_out, nights)
    return StayDates(check_in, check_out, nights)
