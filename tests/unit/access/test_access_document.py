"""The access document: loading, validation with named keys, and what roles grant."""

from __future__ import annotations

import pytest
from access_helpers import ACCESS

from ledger.access import load_access
from ledger.access.document import GRANTABLE_TYPES, company_access_document
from ledger.errors import ValidationFailed
from ledger.events import EVENT_TYPES, OBSERVATION_TYPES
from ledger.store.base import is_ledger_only


def test_the_example_document_loads_with_its_label_and_hash() -> None:
    loaded = load_access(ACCESS)
    assert loaded.label == "access v1"
    assert len(loaded.sha256) == 64
    assert loaded.document.roles_of("hr:H01") == ("admin", "hr")


def test_the_shipped_company_document_loads() -> None:
    assert load_access(company_access_document()).label == "company-access v1"


@pytest.mark.parametrize(
    ("actor", "type_name", "role"),
    [
        ("hr:H01", "employee.hired", "hr"),
        ("hr:H01", "rulebook.adopted", "admin"),
        ("hr:H01", "correction.retracted", "hr"),
        ("hr:H01", "attendance.late_arrival", None),
        ("hr:H02", "appeal.decided", "appeals"),
        ("hr:H02", "appeal.filed", None),
        ("system:badge", "attendance.absence", "attendance"),
        ("system:badge", "conduct.violation", None),
        ("intruder", "attendance.absence", None),
        ("hr:H01", "sanction.issued", None),
    ],
)
def test_roles_grant_types_by_glob(actor: str, type_name: str, role: str | None) -> None:
    assert load_access(ACCESS).document.role_granting(actor, type_name) == role


def _broken(replace: str, by: str) -> str:
    assert replace in ACCESS
    return ACCESS.replace(replace, by)


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("id = [", "", "not valid TOML"),
        (_broken('id = "access"', 'id = "access"\nowner = "me"'), "owner", "Extra inputs"),
        (_broken("version = 1", "version = 0"), "version", "greater than or equal to 1"),
        (
            _broken('"hr:H02" = ["appeals"]', '"hr:H02" = ["judge"]'),
            "actors.hr:H02",
            "unknown role 'judge'",
        ),
        (
            _broken('appeals = ["appeal.decided"]', 'appeals = ["appeal.decide"]'),
            "roles.appeals[0]",
            "matches no event type",
        ),
        (
            _broken('attendance = ["attendance.*"]', 'attendance = ["sanction.*"]'),
            "roles.attendance[0]",
            "only types the ledger writes",
        ),
        (
            _broken('attendance = ["attendance.*"]', 'attendance = ["Attendance.*"]'),
            "roles.attendance[0]",
            "not a pattern",
        ),
        (
            _broken('"hr:H01" = ["admin", "hr"]', '"hr:H01" = ["hr"]'),
            "actors",
            "nobody holds the admin role",
        ),
        (
            _broken(
                'admin = ["rulebook.adopted", "access.adopted"]', 'admin = ["rulebook.adopted"]'
            ),
            "roles.admin",
            "must grant access.adopted",
        ),
        (
            _broken('"system:badge" = ["attendance"]', '"ledger" = ["attendance"]'),
            "actors.ledger",
            "derivation path",
        ),
        (
            _broken('appeals = ["appeal.decided"]', 'Appeals = ["appeal.decided"]'),
            "roles.Appeals",
            "not a role name",
        ),
    ],
)
def test_a_bad_document_is_refused_naming_the_key(text: str, field: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_access(text, source="access.toml")
    assert str(caught.value).startswith("access.toml: ")
    assert any(p.field == field and message in p.message for p in caught.value.problems), str(
        caught.value
    )


def test_every_problem_is_reported_at_once() -> None:
    text = _broken('"hr:H02" = ["appeals"]', '"hr:H02" = ["judge"]').replace(
        '"hr:H01" = ["admin", "hr"]', '"hr:H01" = ["hr"]'
    )
    with pytest.raises(ValidationFailed) as caught:
        load_access(text)
    assert {p.field for p in caught.value.problems} == {"actors.hr:H02", "actors"}


def test_grantable_types_are_the_observations_and_the_two_adoptions() -> None:
    assert set(GRANTABLE_TYPES) == {*OBSERVATION_TYPES, "rulebook.adopted", "access.adopted"}
    assert {t for t in EVENT_TYPES if is_ledger_only(t)} == {
        t for t, model in EVENT_TYPES.items() if model.DERIVED
    }
