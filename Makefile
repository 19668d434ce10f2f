# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NEED := sh scripts/need-debian-package

.PHONY: demo test bytecode chromium postgresql clean

# A plain path entry (compat mode) rather than an import hook: every command starts faster.
# Debian's python3 makes virtual environments only with python3-venv (ensurepip).
$(BIN)/tracker: pyproject.toml
	@$(NEED) python3-venv $(PYTHON) -c "import ensurepip, venv"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]' --config-settings editable_mode=compat
	touch $@

# Compiled once here, so that commands start fast even where PYTHONDONTWRITEBYTECODE is set
# (containers often set it; then every run would compile the package again).
bytecode: $(BIN)/tracker
	$(BIN)/python -m compileall -q tracker

# The browser tests drive the system's Chromium (Debian's; never a downloaded one).
chromium:
	@$(NEED) chromium test -x "$${TRACKER_CHROMIUM:-/usr/bin/chromium}"

demo: bytecode
	$(BIN)/python examples/demo.py demo

# The PostgreSQL tests start a throwaway cluster of Debian's server (initdb, pg_ctl).
postgresql:
	@$(NEED) postgresql sh -c 'ls /usr/lib/postgresql/*/bin/initdb'

test: chromium postgresql bytecode  # what the system lacks first: said before minutes of set-up
	$(BIN)/pytest

clean:
	rm -rf $(VENV) demo site build dist
