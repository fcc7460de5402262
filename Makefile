# Two commands for a fresh machine: `make run` (the app on embedded defaults) and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PORT ?= 8000
# `HOST=0.0.0.0 make run` serves other machines; then name them in DJANGO_ALLOWED_HOSTS.
HOST ?= 127.0.0.1
MLFLOW_PORT ?= 5001
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
CHROMIUM ?= /usr/bin/chromium
PIP_FIND_LINKS := $(wildcard /opt/wheels)

.PHONY: install run test weights browser-deps clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(if $(PIP_FIND_LINKS),--find-links $(PIP_FIND_LINKS)) -r requirements.txt
	touch $@

install: $(VENV)/.installed

# Installs, migrates, seeds the demo once, serves the app on :8000 and the MLflow UI on :5001; the app
# sends its runs to that server (they wait in the outbox while it starts).
run: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --once
	@$(BIN)/mlflow server --host 127.0.0.1 --port $(MLFLOW_PORT) \
		--backend-store-uri sqlite:///var/mlflow.db --default-artifact-root var/mlruns > var/mlflow.log 2>&1 & \
	mlflow_pid=$$!; trap 'kill $$mlflow_pid 2>/dev/null' EXIT INT TERM; \
	echo "MLflow UI: http://localhost:$(MLFLOW_PORT)"; \
	echo "App:       http://$(if $(filter 127.0.0.1,$(HOST)),localhost,$(HOST)):$(PORT)  (demo users: var/demo-credentials.txt)"; \
	MLFLOW_TRACKING_URI=$${MLFLOW_TRACKING_URI:-http://127.0.0.1:$(MLFLOW_PORT)} HITL_BIND_HOST=$(HOST) \
		$(BIN)/daphne -b $(HOST) -p $(PORT) hitl_project.asgi:application

# The whole suite on PostgreSQL and Redis; DATABASE_URL / REDIS_URL in the environment override.
test: install browser-deps proxy-deps
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest $(PYTEST_ARGS)

# moondream2 (MOONDREAM_MODEL at MOONDREAM_REVISION, ~3.9 GB) and its tokenizer into the Hugging Face
# cache, with progress bars, then the same load and self-check as a job (needs the internet once).
weights: install
	$(PY) manage.py download_weights

# Debian's Chromium for the Playwright tests (needs root; nothing to do when it is there).
browser-deps:
	@test -x $(CHROMIUM) || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; }

# Debian's nginx (and openssl) for the test of the project's proxy configuration, like chromium above.
proxy-deps:
	@{ command -v nginx || test -x /usr/sbin/nginx; } > /dev/null && command -v openssl > /dev/null || { \
		echo "Installing Debian's nginx for the proxy tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx openssl > /dev/null; }

clean:
	rm -rf $(VENV) var
