# Elevhälsa: `make run` starts the whole system, `make test` runs every test suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
GEN := build/gen
PROTOS := $(shell find protos -name '*.proto')
PROTOS_BUILT := $(GEN)/.built

.PHONY: install protos run test test-unit test-integration test-e2e lint bench lock clean

install: $(INSTALLED)

$(INSTALLED): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@# Put the repository and the generated protobuf code on the virtualenv's import path.
	@$(PY) -c 'import site, pathlib; pathlib.Path(site.getsitepackages()[0], "elevhalsa-src.pth").write_text("$(CURDIR)\n$(CURDIR)/$(GEN)\n")'
	@touch $@

protos: $(PROTOS_BUILT)

$(PROTOS_BUILT): $(INSTALLED) $(PROTOS)
	@rm -rf $(GEN) && mkdir -p $(GEN)
	$(PY) -m grpc_tools.protoc -Iprotos --python_out=$(GEN) --grpc_python_out=$(GEN) --pyi_out=$(GEN) $(PROTOS)
	@touch $@

run: protos
	$(PY) -m deploy.local

test: protos
	$(PY) -m pytest tests

test-unit: protos
	$(PY) -m pytest tests/unit

test-integration: protos
	$(PY) -m pytest tests/integration

test-e2e: protos
	$(PY) -m pytest tests/e2e

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: protos
	$(PY) -m bench

# Rewrite requirements.lock from the pins in pyproject.toml, in a throwaway virtualenv.
lock:
	rm -rf build/lockenv && $(PYTHON) -m venv build/lockenv
	build/lockenv/bin/pip install --quiet --disable-pip-version-check ".[test,bench]"
	build/lockenv/bin/pip freeze --exclude elevhalsa | grep -v '^-e' > requirements.lock
	rm -rf build/lockenv

clean:
	rm -rf $(VENV) build
