"""Conduct rules (seed 000 四不准 / 三不准, 一.5, 一.7; seed 001 三.(二).2).

Worked example (default rulebook)::

    violation operating_rules, no loss        => CND-01 warning
    violation operating_rules, loss 300.00    => CND-01 demerit
    violation extortion                       => CND-01 major_demerit + dismissal_recommended
    property damaged, amount 480.00           => CND-02 compensation 480.00
"""

from __future__ import annotations

from collections.abc import Iterator

from ledger.events import PropertyDamaged, Violation
from ledger.policies.common import single, zh
from ledger.policies.framework import Context, Draft, Finding, RuleInfo

__all__ = ["CND_01", "CND_02", "property_damage", "violations"]

CND_01 = RuleInfo(
    "CND-01",
    1,
    "Discipline violations (四不准/三不准)",
    ("warning", "demerit", "major_demerit", "demotion_recommended", "dismissal_recommended"),
)
CND_02 = RuleInfo("CND-02", 1, "Damage to company property (损坏公司财物赔偿)", ("compensation",))


def violations(ctx: Context) -> Iterator[Draft | Finding]:
    """CND-01: each violation's outcomes by kind (and loss / customer data)."""
    for fact in ctx.current("conduct.violation"):
        book = ctx.rulebook_at(fact.occurred_at)
        assert isinstance(fact.data, Violation)
        if book is None:
            continue
        data = fact.data
        key: str = data.kind
        if key == "operating_rules" and data.loss_amount and data.loss_amount > 0:
            key = "operating_rules_with_loss"
        elif key == "confidentiality" and data.customer_data:
            key = "confidentiality_customer_data"
        kinds = book.violations.outcomes(key)
        names = " + ".join(kinds)
        yield from single(
            CND_01,
            kinds,
            fact,
            f"violation {key.replace('_', ' ')}: {names}",
            f"违纪({key}): {' + '.join(zh(k) for k in kinds)}",
            parameters=(("violation", key),),
        )


def property_damage(ctx: Context) -> Iterator[Draft | Finding]:
    """CND-02: compensation of the damaged amount."""
    for fact in ctx.current("conduct.property_damaged"):
        assert isinstance(fact.data, PropertyDamaged)
        if ctx.rulebook_at(fact.occurred_at) is None:
            continue
        amount = fact.data.amount
        yield from single(
            CND_02,
            ["compensation"],
            fact,
            f"company property damaged ({fact.data.description}): compensation {amount}",
            f"损坏公司财物({fact.data.description}): 赔偿{amount}元",
            amount=amount,
        )
