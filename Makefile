# `make run` starts the bot, `make test` runs every test; both set everything up first.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
MODEL := models/helpdesk.tar.gz
INSTALLED := $(VENV)/.installed
# The chat widget: web/src plus socket.io-client (npm, package-lock.json) bundled into one file.
WIDGET := web/dist/helpdesk-widget.js
NODE_MODULES := node_modules/.package-lock.json
# Everything the model is trained from: retrain when any of it changes, otherwise reuse the model.
# data/knowledge is read by the action server at run time, so editing an answer needs no training.
# The NLU components normalise with knowledge/text.py and read data/vocabulary.yml (knowledge/vocabulary.py).
TRAINING_INPUTS := config.yml domain.yml knowledge/text.py knowledge/vocabulary.py $(shell find data nlu_components -type f -not -path 'data/knowledge/*' -not -path '*/__pycache__/*' 2>/dev/null)

export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# No usage or crash reports to Rasa's servers: conversations stay on this machine.
export RASA_TELEMETRY_ENABLED := false

.PHONY: help install data train validate widget browser services run run-scaled shell check test bench forget transcripts unanswered-report rehearse rehearsal-report knowledge-report clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

install: $(INSTALLED) ## create the virtual environment and install the pinned packages

$(INSTALLED): requirements.txt constraints.txt
	@test -x $(BIN)/python || "$$(scripts/find-python.sh)" -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	@touch $@

# data/nlu/vocabulary.yml and data/dict/userdict.txt are made from data/vocabulary.yml (tests/test_vocabulary.py
# fails when they are stale).
data: $(INSTALLED) ## regenerate the NLU lookup tables and the jieba dictionary from data/vocabulary.yml
	$(BIN)/python -m knowledge.vocabulary

validate: $(INSTALLED) ## check the knowledge files (knowledge/schema.py), the training data and the domain for mistakes
	$(BIN)/python -m knowledge.schema
	$(BIN)/rasa data validate --fail-on-warnings

train: $(MODEL) ## train the model (only when data, config or domain changed)

# Order-only: reinstalling the pinned packages (a new test tool) does not make a new model.
# --force: Rasa's own training cache keys a component on its config and data, not its code, so an
# edited nlu_components/ file would otherwise leave the old component in the new model.
$(MODEL): $(TRAINING_INPUTS) | $(INSTALLED)
	$(BIN)/rasa data validate --fail-on-warnings
	$(BIN)/rasa train --force --fixed-model-name helpdesk --out models
	@touch $@

# Node.js and npm are on the machines this project runs on; where they are not, Debian's are installed.
$(NODE_MODULES): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: installing Debian's nodejs and npm"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

widget: $(WIDGET) ## build the chat widget into web/dist/helpdesk-widget.js

$(WIDGET): $(NODE_MODULES) scripts/build-widget.js web/src/widget.js web/src/widget.css
	node scripts/build-widget.js

# Debian's Chromium (and Chinese and emoji fonts, as on students' phones) for the widget's tests.
browser: ## install headless Chromium for the widget tests, unless it is there
	@if ! command -v chromium >/dev/null || ! fc-list :lang=zh 2>/dev/null | grep -q . \
	    || ! fc-list 2>/dev/null | grep -qi 'color emoji'; then \
	  echo "installing Debian's chromium, fonts-wqy-microhei and fonts-noto-color-emoji (needs root)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    chromium fonts-wqy-microhei fonts-noto-color-emoji; \
	fi

# Debian's PostgreSQL, Redis and nginx for the scale-out (tests and `make run-scaled` start their own
# instances on loopback ports; the packages' own services are not started).
services: ## install PostgreSQL, Redis and nginx for the scale-out, unless they are there
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v redis-server >/dev/null \
	    || ! command -v nginx >/dev/null; then \
	  echo "installing Debian's postgresql, redis-server and nginx (needs root)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    postgresql redis-server nginx; \
	fi

run: $(MODEL) $(WIDGET) ## start the action server (5055), Rasa (REST + socket.io, 5005) and the demo page with the chat widget (http://localhost:8000/); Ctrl-C stops all
	scripts/run.sh

run-scaled: $(MODEL) services ## two Rasa replicas and two action servers behind nginx on port 5005, with PostgreSQL and Redis (thrown away at the end); Ctrl-C stops all
	$(BIN)/python -m harness.cluster --port 5005

shell: $(MODEL) ## chat with the bot in the terminal
	scripts/run.sh shell

# The fast lane: lint, format and the unit tier (no servers, browser, model or root; under two minutes).
check: $(INSTALLED) ## lint and format check (ruff) and the unit tests: no servers, no model, no root, under two minutes
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -m unit -q

test: $(MODEL) $(WIDGET) browser services ## run every test: data validation, pytest (actions, NLU held-out set, REST, conversations, chat widget in Chromium, scale-out on PostgreSQL/Redis/nginx, bench smoke run)
	$(BIN)/rasa data validate --fail-on-warnings
	$(BIN)/pytest

bench: $(MODEL) services ## measure accuracy (with baselines), latency, throughput and footprint into docs/benchmarks.md
	$(BIN)/python -m bench.run

transcripts: $(MODEL) ## replay the conversation tests on the real bot into readable transcripts for onboarding (docs/transcripts/)
	$(BIN)/python -m staff.transcripts --out docs/transcripts

unanswered-report: $(INSTALLED) ## what students asked that the bot could not answer, from var/tracker.db (reports/unanswered.md and .csv; SINCE=YYYY-MM-DD)
	$(BIN)/python -m staff.unanswered --tracker-db var/tracker.db --out reports/unanswered.md $(if $(SINCE),--since $(SINCE))

rehearse: $(MODEL) ## training rehearsal for helpdesk staff in the terminal: the bot plays students and grades your answers (TRAINEE=<name or staff number>; results in var/rehearsal.db)
	$(BIN)/python -m staff.rehearse $(if $(TRAINEE),--trainee "$(TRAINEE)")

rehearsal-report: $(INSTALLED) ## training rehearsal scores per trainee and per topic, from var/rehearsal.db (reports/rehearsal.html with charts, and .csv)
	$(BIN)/python -m staff.rehearsal_report --out reports/rehearsal.html

knowledge-report: $(INSTALLED) ## every answer's texts beside the sentences of the documents they rest on, flagged where a text adds a number or name, for the content owner (reports/knowledge.html)
	$(BIN)/python -m staff.knowledge_report --out reports/knowledge.html

forget: $(INSTALLED) ## delete one person's conversations from the tracker store: make forget SENDER=<sender id>
	@test -n "$(SENDER)" || { echo "usage: make forget SENDER=<sender id>"; exit 2; }
	$(BIN)/python -m stores.forget "$(SENDER)"

clean: ## remove the trained model, the built widget and test output (keeps the virtual environment)
	rm -rf models results tests/artifacts web/dist
