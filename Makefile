# cinder_lit — the README's commands. Every target installs what it needs into .venv first.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# torch is installed first and explicitly: on the project's CPU machines this version lies on local disk
# (a CPU build); on a GPU machine override it, e.g. `make install TORCH_SPEC=torch`.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed
TOUR ?=
# Without a GPU, Triton kernels run under the interpreter. It must be chosen before any kernel is defined,
# and nbdev-test runs many notebooks in one worker process, so it is set for the whole test run.
# tools/nbtest.py runs 2 notebooks at once on 2 cores, each in its own process group with a wall-clock limit
# (a hung notebook is killed and fails the run); one intra-op thread each avoids oversubscription (small
# models ran ~50x slower with 2 threads each). Experiment templates (nbs/experiments, marked .notest) are run
# by tests/test_specs.py through the real runner (`cinder-lit run`), which also checks their run records.
TRITON_ENV := $(shell command -v nvidia-smi >/dev/null 2>&1 || echo TRITON_INTERPRET=1)

.PHONY: install test reports lab docs check-sync clean-reports help

help:
	@echo "make install  - create .venv and install cinder_lit with its dev tools"
	@echo "make test     - library/notebook sync check, notebook tests (tools/nbtest.py), pytest tests/ (every template via the runner)"
	@echo "make reports  - run the tour (quick profile of one flagship experiment per subsystem)"
	@echo "make lab      - JupyterLab on nbs/"
	@echo "make docs     - build the Quarto site (needs the quarto binary)"

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q --disable-pip-version-check "$(TORCH_SPEC)"
	$(BIN)/pip install -q --disable-pip-version-check -e ".[dev,gpu,scale]"
	@touch $(STAMP)

install: $(STAMP)

check-sync: $(STAMP)
	$(BIN)/python tools/check_sync.py
	$(BIN)/python tools/readme.py --check

readme: $(STAMP)
	$(BIN)/python tools/readme.py

test: $(STAMP)
	$(BIN)/python tools/check_sync.py
	$(BIN)/python tools/readme.py --check
	$(TRITON_ENV) OMP_NUM_THREADS=1 MPLBACKEND=Agg $(BIN)/python tools/nbtest.py --workers 2 --timeout 600
	$(TRITON_ENV) MPLBACKEND=Agg $(BIN)/python -m pytest -q tests

reports: $(STAMP)
	MPLBACKEND=Agg $(BIN)/cinder-lit tour $(TOUR)

lab: $(STAMP)
	$(BIN)/jupyter lab nbs

docs: $(STAMP)
	@command -v quarto >/dev/null 2>&1 || { \
	  echo "make docs: the 'quarto' binary is not on PATH."; \
	  echo "  Install it from https://quarto.org/docs/get-started/ (a .deb/.tar.gz, not pip), then re-run."; \
	  echo "  Everything up to the render can be checked without it: $(BIN)/cinder-lit docs --no-render"; \
	  exit 2; }
	$(BIN)/cinder-lit docs
