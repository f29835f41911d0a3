"""CND-01 violations and CND-02 property damage (RULEBOOK.md §3).

Clauses: seed 000 四不准 / 三不准, 一.5, 一.7; seed 001 三.(二).2 (赔偿). Expectations are
hand-worked from the CND-01 table of RULEBOOK.md; fines from §0 (warning 50.00, demerit
100.00, major_demerit 200.00), attached to each discipline record.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from policy_helpers import by_kind, fines_of, records, rows, run

from ledger.testing import make

WHEN = "2026-07-08 14:00"

VIOLATIONS = [
    pytest.param("operating_rules", {}, ["warning"], id="CND-01 operating_rules (违章作业)"),
    pytest.param(
        "operating_rules",
        {"loss_amount": "0.00"},
        ["warning"],
        id="CND-01 operating_rules, loss 0.00: not > 0, warning",
    ),
    pytest.param(
        "operating_rules",
        {"loss_amount": "0.01"},
        ["demerit"],
        id="CND-01 operating_rules, loss 0.01 > 0: demerit",
    ),
    pytest.param(
        "operating_rules",
        {"loss_amount": "300.00"},
        ["demerit"],
        id="CND-01 operating_rules, loss 300.00: demerit",
    ),
    pytest.param("discourtesy", {}, ["warning"], id="CND-01 discourtesy (对用户失礼)"),
    pytest.param(
        "discourtesy",
        {"customer_data": True, "loss_amount": "10.00"},
        ["warning"],
        id="CND-01 discourtesy ignores loss / customer_data flags",
    ),
    pytest.param(
        "extortion",
        {},
        ["major_demerit", "dismissal_recommended"],
        id="CND-01 extortion (吃拿卡要): major_demerit + dismissal_recommended",
    ),
    pytest.param(
        "arbitrary_charge",
        {},
        ["major_demerit", "dismissal_recommended"],
        id="CND-01 arbitrary_charge (乱收费): major_demerit + dismissal_recommended",
    ),
    pytest.param(
        "falsification",
        {},
        ["major_demerit", "demotion_recommended"],
        id="CND-01 falsification (弄虚作假): major_demerit + demotion_recommended",
    ),
    pytest.param("confidentiality", {}, ["demerit"], id="CND-01 confidentiality (泄露机密)"),
    pytest.param(
        "confidentiality",
        {"customer_data": False},
        ["demerit"],
        id="CND-01 confidentiality, customer_data false: demerit",
    ),
    pytest.param(
        "confidentiality",
        {"customer_data": True},
        ["major_demerit"],
        id="CND-01 confidentiality of customer data (客户信息): major_demerit",
    ),
    pytest.param(
        "confidentiality",
        {"loss_amount": "500.00"},
        ["demerit"],
        id="CND-01 confidentiality with a loss: still demerit",
    ),
    pytest.param(
        "prohibited_activity",
        {},
        ["major_demerit", "dismissal_recommended"],
        id="CND-01 prohibited_activity (黄赌毒): major_demerit + dismissal_recommended",
    ),
]

FINE = {"warning": "50.00", "demerit": "100.00", "major_demerit": "200.00"}


@pytest.mark.parametrize(("kind", "extra", "expected"), VIOLATIONS)
def test_violation_outcomes(kind: str, extra: dict[str, Any], expected: list[str]) -> None:
    """CND-01 (seed 000 四不准 / 三不准): outcomes by kind, issued at the violation."""
    fact = make("conduct.violation", "E1", WHEN, kind=kind, description="observed", **extra)
    derivation = run([fact])
    got = records(derivation)
    assert sorted(o.kind for o in got) == sorted(expected)
    assert all(o.rule.rule_id == "CND-01" for o in got)
    assert all(o.caused_by == (fact.event_id,) for o in got)
    assert all(o.issued_at == fact.occurred_at for o in got)
    fines = fines_of(derivation)
    expected_fines = {o.sanction_id: Decimal(FINE[o.kind]) for o in got if o.kind in FINE}
    assert {k: f.amount for k, f in fines.items()} == expected_fines
    for fine in fines.values():
        assert (fine.rule.rule_id, fine.caused_by, fine.issued_at) == (
            "CND-01",
            (fact.event_id,),
            fact.occurred_at,
        )


DAMAGE = [
    pytest.param("480.00", id="CND-02 compensation 480.00"),
    pytest.param("0.01", id="CND-02 compensation 0.01"),
    pytest.param("12345.67", id="CND-02 compensation 12345.67"),
]


@pytest.mark.parametrize("amount", DAMAGE)
def test_property_damage_compensation(amount: str) -> None:
    """CND-02 (seed 001 三.(二).2 损坏公司财物照价赔偿): compensation of exactly ``amount``."""
    fact = make("conduct.property_damaged", "E1", WHEN, amount=amount, description="printer")
    derivation = run([fact])
    assert rows(derivation, fines=True) == [("CND-02", "compensation", amount, "2026-07-08 14:00")]
    (compensation,) = by_kind(derivation, "compensation")
    assert compensation.caused_by == (fact.event_id,)
    assert compensation.amount == Decimal(amount)


def test_violation_with_damage_gives_both() -> None:
    """CND-01 + CND-02 (seed 001 三.(二).2): a loss-making breach and the damage it caused."""
    breach = make(
        "conduct.violation",
        "E1",
        WHEN,
        kind="operating_rules",
        loss_amount="300.00",
        description="x",
    )
    damage = make("conduct.property_damaged", "E1", WHEN, amount="300.00", description="x")
    assert sorted(rows(run([breach, damage]), fines=True)) == [
        ("CND-01", "demerit", None, "2026-07-08 14:00"),
        ("CND-01", "fine", "100.00", "2026-07-08 14:00"),
        ("CND-02", "compensation", "300.00", "2026-07-08 14:00"),
    ]
