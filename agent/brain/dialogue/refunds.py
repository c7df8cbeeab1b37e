"""Refund terms from QloApps' hotel_refund_rules: the rule with the largest `days` not above the days left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from agent.brain.dialogue.facts import RefundRuleView


@dataclass(frozen=True)
class RefundTerms:
    days_before: int
    fee: Decimal
    refund: Decimal
    percent: Decimal | None
    rule_name: str
    rule_found: bool


def refund_terms(total: Decimal, check_in: date, today: date, rules: tuple[RefundRuleView, ...]) -> RefundTerms:
    """What cancelling today costs. No rules at all means free cancellation; no matching rule means no refund."""
    days = (check_in - today).days
    if not rules:
        return RefundTerms(days, Decimal(0), total, Decimal(0), "", False)
    applicable = [r for r in rules if r.days <= days]
    if not applicable:
        return RefundTerms(days, total, Decimal(0), Decimal(100), "", True)
    rule = max(applicable, key=lambda r: r.days)
    if rule.payment_type == 2:
        fee = (total * rule.deduction / Decimal(100)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        percent: Decimal | None = rule.deduction
    else:
        fee = min(rule.deduction, total)
        percent = None
    return RefundTerms(days, fee, max(total - fee, Decimal(0)), percent, rule.name, True)
