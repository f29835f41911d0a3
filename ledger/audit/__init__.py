"""Audit: explain a consequence, verify the whole ledger, replay a period, export bundles."""

from ledger.audit.explain import Explanation, explain
from ledger.audit.replay import ReplayReport, replay
from ledger.audit.verify import Discrepancy, VerifyReport, verify

__all__ = [
    "Discrepancy",
    "Explanation",
    "ReplayReport",
    "VerifyReport",
    "explain",
    "replay",
    "verify",
]
