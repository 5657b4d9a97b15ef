# ordinance: `make run` installs and decides the example case; `make test` installs and runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test check bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ordinance eval examples/compute-voucher.yaml

check: $(STAMP)
	$(BIN)/ordinance check

test: $(STAMP)
	$(BIN)/python -m pytest

# The benchmark suite (peers, the hand-written limit, and wrk against `ordinance serve`): not part of `make test`.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@command -v wrk >/dev/null || { if [ "$$(id -u)" = 0 ]; then S=""; else S="sudo"; fi; \
	  ($$S apt-get install -y -qq wrk >/dev/null 2>&1 || ($$S apt-get update -qq && $$S apt-get install -y -qq wrk) >/dev/null 2>&1) || echo "note: wrk is not installed: the web load section is skipped"; }
	$(BIN)/python -m benchmarks.run

# Issue 15's attacks against the current code (time, memory, exit codes, HTTP statuses; about 3 minutes):
# not part of `make test`. The table goes to stdout, the rows to build/attacks.json (docs/security-figures.md).
.PHONY: attacks
attacks: $(STAMP)
	$(BIN)/python -m benchmarks.attacks --json build/attacks.json

# Coverage-guided fuzzing (atheris) of the rule loader and the case reader, FUZZ_SECONDS each:
# not part of `make test`. Crashes go to build/fuzz/*/crashes/ (docs/security.md).
.PHONY: fuzz
FUZZ_SECONDS ?= 60
fuzz: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,fuzz]'
	$(BIN)/python fuzz/fuzz_loader.py -max_total_time=$(FUZZ_SECONDS)
	$(BIN)/python fuzz/fuzz_case.py -max_total_time=$(FUZZ_SECONDS)

# The vendored CodeMirror bundle of the web workbench (ordinance/web/static/vendor/codemirror.js and its
# licences), from the versions pinned in tools/codemirror/package-lock.json: needs node and npm; the
# output is committed, so `make install` and `make test` never need them (docs/web.md, section 6).
.PHONY: codemirror
codemirror:
	cd tools/codemirror && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
