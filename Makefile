# rvs-analysis: the named steps of the pipeline. `make test` and `make reports` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SOURCE ?= demo
PYTEST_ARGS ?=

.PHONY: help install test lint format check-notebooks reports demo-data fetch lab benchmark clean

help:
	@echo "make reports   render the region and district reports on the demo data into outputs/"
	@echo "make test      lint, notebook-clean check and the full test suite"
	@echo "make lab       JupyterLab on notebooks/ with the project's kernel"
	@echo "make fetch     download the CBS tables into data/raw (needs network)"
	@echo "make demo-data regenerate the embedded demo data set (deterministic)"
	@echo "make benchmark run the benchmark scripts in benchmarks/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name rvs-analysis --display-name "Python (rvs-analysis)" >/dev/null
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check rvs_analysis tests benchmarks notebooks
	$(BIN)/ruff format --check rvs_analysis tests benchmarks

format: $(STAMP)
	$(BIN)/ruff check --fix rvs_analysis tests benchmarks notebooks
	$(BIN)/ruff format rvs_analysis tests benchmarks

check-notebooks: $(STAMP)
	$(BIN)/python -m rvs_analysis.notebook_check notebooks

test: lint check-notebooks
	$(BIN)/python -m pytest $(PYTEST_ARGS)

reports: $(STAMP)
	$(BIN)/rvs render --source $(SOURCE)

demo-data: $(STAMP)
	$(BIN)/rvs demo-data

fetch: $(STAMP)
	$(BIN)/rvs fetch

# JupyterLab on notebooks/ (root folder of the file browser), new notebooks on the project's kernel.
# LAB_ARGS passes options through, e.g. make lab LAB_ARGS="--no-browser --port 8890".
# Jupyter refuses to run as root without --allow-root (containers, CI): added only for root.
LAB_ARGS ?=
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks --MultiKernelManager.default_kernel_name=rvs-analysis $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

benchmark: $(STAMP)
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf outputs/* .pytest_cache .ruff_cache
