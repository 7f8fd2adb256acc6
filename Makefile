# Two entry points: `make demo` (the main job on bundled sample data) and `make test`.
# Both create or update the virtualenv in .venv themselves.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv demo test lint bench clean chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,speakers,cluster]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# The report test drives Debian's Chromium; install it when we can (CI runs as root), else say how.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else echo "make test: the report test needs Chromium; install it with: sudo apt-get install -y chromium" >&2; exit 1; fi; }

# pytest exits 5 when it collected no test: that must fail, not pass quietly.
test: $(STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/transcribe_overhead.py
	$(BIN)/python bench/transcribe_speed.py
	$(BIN)/python bench/pii_eval.py --set pii_heldout.jsonl
	$(BIN)/python bench/terms_throughput.py
	$(BIN)/python bench/crawl_speed.py
	$(BIN)/python bench/gap_report.py
	$(BIN)/python bench/diarization.py
	$(BIN)/python bench/diarization.py --long 30

clean:
	rm -rf demo-out .pytest_cache
