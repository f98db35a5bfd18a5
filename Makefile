# The two commands of the README: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench setup clean icon

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip >/dev/null 2>&1 || true
	# The CPU build of torch from local disk where this machine has one; elsewhere pip picks the usual build.
	$(PY) -m pip install -q "torch==2.13.0" 2>/dev/null || $(PY) -m pip install -q "torch>=2.2"
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

test: $(STAMP)
	$(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m scoreviz bench

# The 256 px PNG icon is rendered from the SVG (both ship in the wheel); run after editing the SVG.
icon: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) tools/render_icon.py

clean:
	rm -rf $(VENV) build *.egg-info
