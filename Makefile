# Every target installs what it needs on first use: a fresh clone needs only `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed

export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export CASHBOOK_OUTPUT_DIR ?= $(CURDIR)/output

.PHONY: install dbt-parse demo demo-day test test-fast test-demo drill ui bench lock clean

install: $(STAMP)

# Bytecode is compiled once at install: where PYTHONDONTWRITEBYTECODE is set (as on this machine)
# every process would otherwise compile dagster, dbt and pandas from source again (~2 s of CPU each).
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip sync --quiet --compile-bytecode --python $(PY) requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	$(PY) -m pipelines.dagster_sqlite $(DAGSTER_HOME) >/dev/null
	touch $(STAMP)

lock:
	$(UV) pip compile --quiet pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

demo: $(STAMP)
	$(PY) -m pipelines.demo

# After `make demo`: a day passes in the sandbox, then the day's close (the daily_close job) runs.
demo-day: $(STAMP)
	$(VENV)/bin/cashbook sandbox advance --size $${CASHBOOK_DEMO_SIZE:-demo} --seed $${CASHBOOK_DEMO_SEED:-42} --days 1
	$(PY) -m pipelines.demo --daily-close

# dbt's manifest, parsed once before anything imports the code location
dbt-parse: $(STAMP)
	$(PY) -c "import assets.dbt"

test: dbt-parse
	$(PY) -m pytest -n 2 --dist loadfile -q -m "not demo_world and not drill"

test-fast: dbt-parse
	$(PY) -m pytest -q -m "not postgres and not slow and not demo_world and not drill and not ui"

test-demo: $(STAMP)
	$(PY) -m pytest -q -m demo_world

drill: $(STAMP)
	$(PY) -m pytest -q -m drill tests/drills

ui: dbt-parse
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: $(STAMP)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) data output .dagster_home .sandbox bench/results
