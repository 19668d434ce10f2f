# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bytecode clean

# A plain path entry (compat mode) rather than an import hook: every command starts faster.
$(BIN)/tracker: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]' --config-settings editable_mode=compat
	touch $@

# Compiled once here, so that commands start fast even where PYTHONDONTWRITEBYTECODE is set
# (containers often set it; then every run would compile the package again).
bytecode: $(BIN)/tracker
	$(BIN)/python -m compileall -q tracker

demo: bytecode
	$(BIN)/python examples/demo.py demo

test: bytecode
	$(BIN)/pytest

clean:
	rm -rf $(VENV) demo site
