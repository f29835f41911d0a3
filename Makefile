# Conveniences; the README's two commands need only Python 3.11.
VENV ?= .venv

.PHONY: demo test lint bench clean

$(VENV)/bin/ledger:
	python3 -m venv $(VENV) && $(VENV)/bin/pip install -q -e '.[test]'

demo: $(VENV)/bin/ledger
	$(VENV)/bin/ledger demo

test: $(VENV)/bin/ledger
	$(VENV)/bin/python -m pytest

lint: $(VENV)/bin/ledger
	$(VENV)/bin/mypy --strict ledger
	$(VENV)/bin/ruff check

clean:
	rm -rf $(VENV) demo.db .mypy_cache .ruff_cache .pytest_cache .hypothesis
