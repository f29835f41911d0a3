"""Data: the regulation clauses the rules cite (``clauses.json``; ``ledger.policies.clauses``)."""
