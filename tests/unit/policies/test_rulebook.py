"""Rulebook loading, versions and publication (RULEBOOK.md "Rulebook metadata", §0 published
rule, 劳动合同法 第4条: rules bind only once made known).

Expectations are hand-worked from RULEBOOK.md: the shipped numbers, loading errors that name
the key at fault, the version in force (latest whose ``effective_from`` and ``published_on``
both lie on or before the fact, in company time), and no sanction for an unbound fact.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from policy_helpers import DEFAULT_DOC, at, books, document, findings, records, rows, run

from ledger.errors import RulebookError
from ledger.policies.rulebook import AdoptedRulebook, Rulebook, RulebookSet
from ledger.testing import absent, make

DEFAULT = Rulebook.from_toml(DEFAULT_DOC)

# -- the shipped rulebook matches RULEBOOK.md ----------------------------------------------

SHIPPED = [
    pytest.param(lambda b: (b.id, b.version), ("service-standard", 1), id="metadata id/version"),
    pytest.param(
        lambda b: (b.effective_from, b.published_on),
        (date(2020, 1, 1), date(2020, 1, 1)),
        id="metadata effective_from/published_on 2020-01-01",
    ),
    pytest.param(
        lambda b: (b.fines.warning, b.fines.demerit, b.fines.major_demerit),
        (Decimal("50.00"), Decimal("100.00"), Decimal("200.00")),
        id="PAY-01 fines 50/100/200",
    ),
    pytest.param(
        lambda b: tuple(
            getattr(b.live_months, k)
            for k in ("warning", "demerit", "major_demerit", "commendation")
        ),
        (6, 12, 18, 12),
        id="§0 live months 6/12/18, commendation 12",
    ),
    pytest.param(
        lambda b: (b.jurisdiction.fines_allowed, b.jurisdiction.minimum_wage),
        (True, Decimal("2690.00")),
        id="§0/§7 fines_allowed true, minimum wage 2690.00",
    ),
    pytest.param(
        lambda b: (
            b.attendance.window_months,
            b.attendance.grace_minutes,
            b.attendance.minor_max_minutes,
            b.attendance.minor_points,
            b.attendance.major_points,
            b.attendance.post_left_points,
            b.attendance.absence_points_per_day,
        ),
        (12, 5, 30, Decimal("0.5"), Decimal(1), Decimal(1), Decimal(3)),
        id="ATT-01 points table",
    ),
    pytest.param(
        lambda b: tuple((t.at, t.outcome) for t in b.attendance.thresholds),
        (
            (Decimal(4), "notice"),
            (Decimal(6), "warning"),
            (Decimal(8), "demerit"),
            (Decimal(10), "major_demerit"),
        ),
        id="ATT-01 thresholds 4/6/8/10",
    ),
    pytest.param(
        lambda b: (
            b.serious_absence.short_window_days,
            b.serious_absence.short_window_days_absent,
            b.serious_absence.long_window_months,
            b.serious_absence.long_window_days_absent,
        ),
        (30, 3, 12, 5),
        id="ATT-02 3 in 30 days, 5 in 12 months",
    ),
    pytest.param(
        lambda b: (
            b.complaints.reply_hours,
            b.complaints.reply_outcome,
            b.complaints.resolve_hours,
            b.complaints.resolve_outcome,
            b.complaints.apology_hours,
            b.complaints.apology_outcome,
            dict(b.complaints.severity),
        ),
        (
            24,
            "notice",
            48,
            "warning",
            24,
            "warning",
            {"minor": "warning", "major": "demerit", "serious": "major_demerit"},
        ),
        id="SVC-01/02/03/05 complaint parameters",
    ),
    pytest.param(
        lambda b: (
            b.lapses.window_days,
            b.lapses.first_response_seconds,
            b.lapses.max_rings,
            tuple((t.at, t.outcome) for t in b.lapses.thresholds),
        ),
        (30, 300, 3, ((Decimal(3), "notice"), (Decimal(5), "warning"))),
        id="SVC-04 lapse parameters",
    ),
    pytest.param(
        lambda b: (
            b.recognition.praise_per_quarter,
            b.recognition.praise_bonus,
            dict(b.recognition.suggestion_bonus),
            b.recognition.supervision_bonus,
        ),
        (
            3,
            Decimal("100.00"),
            {"1": Decimal("100.00"), "2": Decimal("300.00"), "3": Decimal("500.00")},
            Decimal("100.00"),
        ),
        id="REC-01..03 recognition parameters",
    ),
    pytest.param(
        lambda b: (
            b.escalation.warnings_to_demerit,
            b.escalation.demerits_to_major_demerit,
            b.escalation.dismissal_after_major_demerit,
            b.appeals.window_days,
        ),
        (2, 2, True, 15),
        id="ESC-01..03 and appeal window 15 days",
    ),
]


@pytest.mark.parametrize(("read", "expected"), SHIPPED)
def test_shipped_rulebook_numbers(read: Any, expected: object) -> None:
    """The default rulebook service-standard v1 holds the numbers of RULEBOOK.md."""
    assert read(DEFAULT) == expected


# -- loading errors name the key -----------------------------------------------------------

BAD_DOCUMENTS = [
    pytest.param("foo = 1\n" + DEFAULT_DOC, "foo", id="unknown top-level key"),
    pytest.param(
        document({"fines.warning": '"50.00"\npenalty = "1.00"'}),
        "fines.penalty",
        id="unknown key in a section",
    ),
    pytest.param(document({"fines.warning": '"-50.00"'}), "fines.warning", id="negative fine"),
    pytest.param(
        document({"recognition.praise_bonus": '"-1.00"'}),
        "recognition.praise_bonus",
        id="negative bonus",
    ),
    pytest.param(
        document({"recognition.suggestion_bonus": '{ 1 = "-100.00", 2 = "300.00", 3 = "500.00" }'}),
        "recognition.suggestion_bonus",
        id="negative suggestion bonus",
    ),
    pytest.param(
        document({"jurisdiction.minimum_wage": '"-1.00"'}),
        "jurisdiction.minimum_wage",
        id="negative minimum wage",
    ),
    pytest.param(document({"fines.warning": "50.5"}), "fines.warning", id="money as a float"),
    pytest.param(
        document({"fines.warning": '"50.001"'}), "fines.warning", id="money with 3 decimals"
    ),
    pytest.param(
        DEFAULT_DOC.replace(
            '{ at = "6", outcome = "warning" }', '{ at = "3", outcome = "warning" }'
        ),
        "attendance.thresholds",
        id="ATT-01 thresholds not increasing",
    ),
    pytest.param(
        DEFAULT_DOC.replace(
            '{ at = "5", outcome = "warning" }', '{ at = "3", outcome = "warning" }'
        ),
        "lapses.thresholds",
        id="SVC-04 thresholds equal",
    ),
    pytest.param(
        DEFAULT_DOC.replace(
            '{ at = "4", outcome = "notice" }', '{ at = "-4", outcome = "notice" }'
        ),
        "attendance.thresholds.0.at",
        id="ATT-01 negative threshold",
    ),
    pytest.param(
        DEFAULT_DOC.replace('{ at = "4", outcome = "notice" }', '{ at = "4", outcome = "fine" }'),
        "attendance.thresholds.0.outcome",
        id="ATT-01 threshold outcome name",
    ),
    pytest.param(
        document({"violations.discourtesy": '"reprimand"'}),
        "violations.discourtesy",
        id="CND-01 bad outcome name",
    ),
    pytest.param(
        document({"violations.extortion": '"major_demerit+sacking"'}),
        "violations.extortion",
        id="CND-01 bad outcome in a + list",
    ),
    pytest.param(
        document({"complaints.reply_outcome": '"scolding"'}),
        "complaints.reply_outcome",
        id="SVC-02 bad outcome name",
    ),
    pytest.param(
        document({"complaints.severity": '{ minor = "warning", major = "demerit" }'}),
        "complaints.severity",
        id="SVC-01 missing severity",
    ),
    pytest.param(
        DEFAULT_DOC.replace("grace_minutes = 5\n", ""),
        "attendance.grace_minutes",
        id="missing key",
    ),
    pytest.param(document({"live_months.warning": "0"}), "live_months.warning", id="live 0"),
    pytest.param(
        document({"attendance.minor_max_minutes": "5"}),
        "attendance",
        id="ATT-01 minor band not above grace",
    ),
    pytest.param(document({"grade.good": "95"}), "grade", id="GRD-01 levels out of order"),
    pytest.param("id = ", "not valid TOML", id="not TOML"),
]


@pytest.mark.parametrize(("text", "key"), BAD_DOCUMENTS)
def test_loading_errors_name_the_key(text: str, key: str) -> None:
    """Rulebook loading (RULEBOOK.md: every number is a TOML parameter): errors name the key."""
    with pytest.raises(RulebookError) as caught:
        Rulebook.from_toml(text, source="test.toml")
    message = str(caught.value)
    assert message.startswith("test.toml: ")
    assert f" {key}" in message


def test_adopting_records_dates_and_hash() -> None:
    """Rulebook metadata (`ledger init --effective-from --published-on`): own dates, sha256."""
    import hashlib

    adopted = AdoptedRulebook.from_document(
        DEFAULT_DOC, effective_from=date(2026, 1, 1), published_on=date(2026, 3, 1)
    )
    assert (adopted.effective_from, adopted.published_on) == (date(2026, 1, 1), date(2026, 3, 1))
    assert adopted.sha256 == hashlib.sha256(DEFAULT_DOC.encode()).hexdigest()
    assert adopted.binds_from == at("2026-03-01 00:00")
    shipped = AdoptedRulebook.from_document(DEFAULT_DOC)
    assert (shipped.effective_from, shipped.published_on) == (date(2020, 1, 1), date(2020, 1, 1))


# -- RulebookSet.in_force ------------------------------------------------------------------

V2_DOC = document({"version": "2", "fines.warning": '"80.00"'})

V1 = AdoptedRulebook.from_document(DEFAULT_DOC)
V2 = AdoptedRulebook.from_document(
    V2_DOC, effective_from=date(2026, 7, 1), published_on=date(2026, 6, 15)
)
V2_LATE = AdoptedRulebook.from_document(
    V2_DOC, effective_from=date(2026, 7, 1), published_on=date(2026, 8, 1)
)

IN_FORCE = [
    pytest.param([V1], "2019-12-31 23:59", None, id="before v1 binds: none"),
    pytest.param([V1], "2020-01-01 00:00", 1, id="v1 from its first midnight"),
    pytest.param([V1, V2], "2026-06-20 12:00", 1, id="v2 published but not yet effective: v1"),
    pytest.param([V1, V2], "2026-06-30 23:59", 1, id="last minute before v2: v1"),
    pytest.param([V1, V2], "2026-07-01 00:00", 2, id="v2 effective and published: v2"),
    pytest.param([V1, V2], "2026-06-30T16:00:00+00:00", 2, id="company-time midnight (16:00Z): v2"),
    pytest.param([V1, V2], "2026-06-30T15:59:00+00:00", 1, id="15:59Z is 23:59 in Shanghai: v1"),
    pytest.param(
        [V1, V2_LATE], "2026-07-15 12:00", 1, id="v2 effective but unpublished: v1 still binds"
    ),
    pytest.param([V1, V2_LATE], "2026-08-01 00:00", 2, id="v2 binds from its publication"),
    pytest.param([V2, V1], "2026-07-02 00:00", 2, id="order of adoption does not matter"),
    pytest.param([V2_LATE], "2026-07-15 12:00", None, id="only v2, unpublished: none"),
]


@pytest.mark.parametrize(("versions", "when", "expected"), IN_FORCE)
def test_in_force(versions: list[AdoptedRulebook], when: str, expected: int | None) -> None:
    """§0 published rule (劳动合同法 第4条): binds facts ≥ both effective_from and published_on."""
    chosen = RulebookSet(versions).in_force(at(when))
    assert (chosen.rulebook.version if chosen else None) == expected


def test_each_fact_is_judged_by_the_version_binding_it() -> None:
    """§0 + PAY-01: a warning before v2 carries v1's fine 50.00, one after carries 80.00."""
    rulebooks = RulebookSet([V1, V2])
    facts = [
        make("task.authority_exceeded", "E1", "2026-06-30 10:00", description="x"),
        make("recognition.good_deed", "E1", "2026-06-30 11:00", description="offset W1"),
        make("task.authority_exceeded", "E1", "2026-07-01 10:00", description="y"),
    ]
    assert [
        a for r, k, a, _ in rows(run(facts, rulebooks=rulebooks), fines=True) if k == "fine"
    ] == [
        "50.00",
        "80.00",
    ]


# -- publication: facts before it yield findings, never sanctions --------------------------

LATE_PUBLISHED = books(effective_from=date(2026, 1, 1), published_on=date(2026, 3, 1))

PUBLICATION = [
    pytest.param("2026-02-15 10:00", False, id="effective but unpublished: finding, no sanction"),
    pytest.param("2026-02-28 23:59", False, id="last minute before publication: finding"),
    pytest.param("2026-03-01 00:00", True, id="from publication day's midnight: warning"),
    pytest.param("2025-12-31 10:00", False, id="before effective_from: finding"),
]


@pytest.mark.parametrize(("when", "binds"), PUBLICATION)
def test_published_rule_binds_only_from_publication(when: str, binds: bool) -> None:
    """§0 published rule (劳动合同法 第4条): rulebook effective 2026-01-01, published 03-01."""
    fact = make("conduct.violation", "E1", when, kind="discourtesy", description="rude")
    derivation = run([fact], rulebooks=LATE_PUBLISHED)
    if binds:
        assert [o.kind for o in records(derivation)] == ["warning"]
        assert findings(derivation, "no_published_rulebook") == []
    else:
        assert derivation.outcomes == ()
        (finding,) = [f for f in derivation.findings if f.code == "no_published_rulebook"]
        assert finding.event_ids == (fact.event_id,)


def test_unbound_facts_do_not_count_towards_later_thresholds() -> None:
    """ATT-01 + §0 published rule: an absence before publication never earns points, so the
    absence after it (3 points) does not reach 4 together with a post left (1)."""
    facts = [
        absent("E1", "2026-02-20 09:00"),
        absent("E1", "2026-03-02 09:00"),
        make("attendance.post_left", "E1", "2026-03-03 10:00"),
    ]
    derivation = run(facts, rulebooks=LATE_PUBLISHED)
    assert rows(derivation, "ATT-01") == [("ATT-01", "notice", None, "2026-03-03 10:00")]
    assert findings(derivation, "no_published_rulebook") == [
        ("no_published_rulebook", "2026-02-20 09:00")
    ]


def test_an_empty_rulebook_set_binds_nothing() -> None:
    """§0: with no adopted rulebook every fact yields a finding and no sanction."""
    fact = make("task.authority_exceeded", "E1", "2026-07-01 10:00", description="x")
    derivation = run([fact], rulebooks=RulebookSet([]))
    assert derivation.outcomes == ()
    assert findings(derivation, "no_published_rulebook") == [
        ("no_published_rulebook", "2026-07-01 10:00")
    ]
