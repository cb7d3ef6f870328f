# Everything installs into .venv; each target does its own set-up, so a fresh
# clone needs nothing but Python 3.11, pip, gcc and git.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

SOURCES := requirements-dev.txt \
	image/golem_task_api/pyproject.toml \
	image/tutorial_app/pyproject.toml image/tutorial_app/setup.py \
	$(wildcard image/tutorial_app/tutorial_app/search/*.c image/tutorial_app/tutorial_app/search/*.h)

.PHONY: install demo test test-unit test-fallback test-docker lint proto bench clean

install: $(STAMP)

$(STAMP): $(SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	@# setuptools' deprecation banners say nothing about this project; keep them out.
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install -q --no-build-isolation \
		-e image/golem_task_api -e image/tutorial_app
	touch $(STAMP)

# The main job on the bundled example. It writes only under build/demo/ (never
# results/, every run's default --out) and removes only what an earlier demo made.
DEMO := build/demo
demo: $(STAMP)
	rm -rf $(DEMO)/results $(DEMO)/work
	$(BIN)/tutorial-app run examples/input.txt --difficulty 20 --subtasks 8 --providers 2 \
		--out $(DEMO)/results --work-root $(DEMO)/work
	$(BIN)/tutorial-app check $(DEMO)/results

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy image/golem_task_api/golem_task_api image/tutorial_app/tutorial_app
	@# The floor plan: rooms in their layers (pyproject's contracts), and no import cycles.
	$(BIN)/lint-imports --no-cache
	$(BIN)/python scripts/import_cycles.py

test-unit: $(STAMP)
	$(BIN)/pytest -m "not docker" $(PYTEST_ARGS)

# The app's whole suite again with the native search switched off: the
# pure-Python reference must stay a working fallback.
test-fallback: $(STAMP)
	TUTORIAL_APP_NO_NATIVE=1 $(BIN)/pytest -q -m "not docker" tests/tutorial_app $(PYTEST_ARGS)

test: lint test-unit test-fallback
	@scripts/maybe-test-docker

test-docker: $(STAMP)
	scripts/docker-test-env
	TUTORIAL_APP_DOCKER_REQUIRED=1 $(BIN)/pytest -m docker $(PYTEST_ARGS)

proto: $(STAMP)
	$(BIN)/python -m golem_task_api.proto.generate

bench: $(STAMP)
	$(BIN)/python benchmarks/pow_speed.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
