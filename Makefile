# The README's two commands: `make report` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test check report lint format bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# Debian's chromium + chromedriver for the browser test, graphviz for the theory-of-change
	@# diagram, texlive for the PDF edition and poppler-utils for its test (root only; else the
	@# browser test and the PDF are skipped, and the report stops saying to install graphviz)
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	   { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || \
	     [ ! -x /usr/bin/pdflatex ] || [ ! -x /usr/bin/pdftotext ] || \
	     [ ! -x /usr/bin/dot ]; }; then \
	   apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	     chromium chromium-driver graphviz texlive-latex-recommended texlive-latex-extra \
	     texlive-fonts-recommended texlive-lang-french lmodern poppler-utils >/dev/null || \
	     echo "chromium, graphviz or texlive not installed: browser test or PDF edition skipped, and the report needs graphviz"; \
	fi
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# the fast loop: lint, then every test not marked slow (under a minute on 2 cores)
check: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q -x -m "not slow"

report: $(STAMP)
	SOURCE_DATE_EPOCH=0 $(BIN)/ci-eval run .

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/survey_core.py

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
