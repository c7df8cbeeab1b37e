"""Nightly prices: room type base price, seasonal feature prices, tax; refund deductions by days before arrival."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from simulators.qloapps.models import FeaturePrice, RefundRule, RoomType

CENT = Decimal("0.01")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def money(value: Decimal) -> Decimal:
    """Round as QloApps does for API output (_PS_PRICE_COMPUTE_PRECISION_ = 2, half up)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def php_float(v: Decimal) -> float | int:
    """A rounded price as PHP prints a float (json_encode, or echo in XML): 1000 for 1000.0, 1100.5 otherwise."""
    q = money(v)
    return int(q) if q == q.to_integral_value() else float(q)


def applies(rule: FeaturePrice, day: date) -> bool:
    if not rule.active or not (rule.date_from <= day <= rule.date_to):
        return False
    if rule.date_selection_type == 2:
        return WEEKDAYS[day.weekday()] in rule.special_days
    return True


def pick_rule(rules: Sequence[FeaturePrice], day: date) -> FeaturePrice | None:
    """Specific week days beat date ranges; among equals the newest rule wins (higher id)."""
    best: FeaturePrice | None = None
    for rule in rules:
        if applies(rule, day) and (
            best is None or (rule.date_selection_type, rule.id) > (best.date_selection_type, best.id)
        ):
            best = rule
    return best


def apply_rule(base: Decimal, rule: FeaturePrice | None) -> Decimal:
    if rule is None:
        return base
    if rule.impact_way == 3:  # fixed price for the night
        return rule.impact_value
    delta = base * rule.impact_value / Decimal(100) if rule.impact_type == 1 else rule.impact_value
    price = base - delta if rule.impact_way == 1 else base + delta
    return max(price, Decimal(0))


def nightly_prices(
    room_type: RoomType, rules: Iterable[FeaturePrice], date_from: date, date_to: date
) -> list[tuple[date, Decimal]]:
    """Tax-excluded price of each night d with date_from <= d < date_to."""
    mine = [r for r in rules if r.id_product == room_type.id]
    out = []
    day = date_from
    while day < date_to:
        out.append((day, apply_rule(room_type.price, pick_rule(mine, day))))
        day += timedelta(days=1)
    return out


def with_tax(amount: Decimal, rate_percent: Decimal) -> Decimal:
    return amount * (Decimal(100) + rate_percent) / Decimal(100)


def refund_rule_for(rules: Sequence[RefundRule], days_before: int) -> RefundRule | None:
    """The rule with the largest `days` not above the actual days before arrival (rules read by days desc)."""
    for rule in sorted(rules, key=lambda r: r.days, reverse=True):
        if rule.days <= days_before:
            return rule
    return None


def refund_amount(rule: RefundRule | None, paid: Decimal, full_payment: bool = True) -> Decimal:
    """What goes back to the guest after the rule's deduction (no rule: nothing is refundable)."""
    if rule is None:
        return Decimal(0)
    value = rule.deduction_value_full_pay if full_payment else rule.deduction_value_adv_pay
    deduction = paid * value / Decimal(100) if rule.payment_type == 2 else value
    return money(max(paid - deduction, Decimal(0)))
