# The two commands of the README's quick start:
#   make demo   set everything up and run the main job (console + schedules on a local Postgres, demo data)
#   make test   set everything up, then lint, type-check and run the whole test suite on a real Postgres

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test lint typecheck pytest bench constraints clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "promptloop needs Python >= 3.11 (found: $$($(PYTHON) --version)); set PYTHON=python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/promptloop demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# pytest exits 5 when it collects no tests; that is not a failure of the suite.
pytest: install
	$(BIN)/pytest $(PYTEST_ARGS) || { code=$$?; [ $$code -eq 5 ] || exit $$code; }

test: lint typecheck pytest

bench: install
	$(BIN)/python -m bench.stats_sim --reps 2000 --seed 1

# Re-resolve every dependency to its newest allowed release and write the versions to constraints.txt;
# then run `make clean test` and commit constraints.txt only if it passes.
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install --quiet --upgrade pip
	.venv-constraints/bin/python -m pip install --quiet -e '.[dev]'
	{ sed -n '/^#/p' constraints.txt; .venv-constraints/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .venv-constraints

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
