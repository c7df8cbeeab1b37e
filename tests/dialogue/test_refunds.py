"""Refund terms: the rule with the largest `days` not above the days left decides the fee."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from agent.brain.dialogue.facts import RefundRuleView
from agent.brain.dialogue.refunds import refund_terms

TODAY = date(2026, 11, 25)


@given(
    total=st.decimals(min_value=0, max_value=100000, places=2),
    days_left=st.integers(min_value=0, max_value=400),
    rules=st.lists(
        st.builds(
            RefundRuleView,
            days=st.integers(min_value=0, max_value=365),
            payment_type=st.sampled_from([1, 2]),
            deduction=st.decimals(min_value=0, max_value=100, places=2),
        ),
        max_size=5,
    ),
)
def test_fee_plus_refund_is_the_total_and_the_rule_is_the_largest_days_not_above_days_left(total, days_left, rules):
    terms = refund_terms(total, TODAY + timedelta(days=days_left), TODAY, tuple(rules))
    assert terms.fee >= 0 and terms.refund >= 0
    assert terms.fee + terms.refund == total or (terms.fee == total and terms.refund == 0)
    applicable = [r for r in rules if r.days <= days_left]
    if rules and not applicable:
        assert terms.refund == 0
    if applicable:
        best = max(r.days for r in applicable)
        chosen = [r for r in applicable if r.days == best]
        if all(r.payment_type == 2 for r in chosen):
            assert terms.percent in {r.deduction for r in chosen}


def test_no_rules_means_free_cancellation():
    terms = refund_terms(Decimal("300"), date(2026, 12, 1), TODAY, ())
    assert (terms.fee, terms.refund) == (0, Decimal("300"))


def test_fixed_fee_never_exceeds_the_total():
    terms = refund_terms(Decimal("50"), date(2026, 12, 1), TODAY, (RefundRuleView(0, 1, Decimal("80")),))
    assert (terms.fee, terms.refund) == (Decimal("50"), 0)
