# `make run` starts the bot, `make test` runs every test; both set everything up first.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
MODEL := models/helpdesk.tar.gz
INSTALLED := $(VENV)/.installed
# Everything the model is trained from: retrain when any of it changes, otherwise reuse the model.
# data/knowledge is read by the action server at run time, so editing an answer needs no training.
TRAINING_INPUTS := config.yml domain.yml $(shell find data nlu_components -type f -not -path 'data/knowledge/*' -not -path '*/__pycache__/*' 2>/dev/null)

export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# No usage or crash reports to Rasa's servers: conversations stay on this machine.
export RASA_TELEMETRY_ENABLED := false

.PHONY: help install train validate run shell test bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: $(INSTALLED) ## create the virtual environment and install the pinned packages

$(INSTALLED): requirements.txt constraints.txt
	@test -x $(BIN)/python || "$$(scripts/find-python.sh)" -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	@touch $@

validate: $(INSTALLED) ## check the training data and domain for mistakes
	$(BIN)/rasa data validate --fail-on-warnings

train: $(MODEL) ## train the model (only when data, config or domain changed)

$(MODEL): $(INSTALLED) $(TRAINING_INPUTS)
	$(BIN)/rasa data validate --fail-on-warnings
	$(BIN)/rasa train --fixed-model-name helpdesk --out models
	@touch $@

run: $(MODEL) ## start the action server (5055) and Rasa with the REST channel (5005); Ctrl-C stops both
	scripts/run.sh

shell: $(MODEL) ## chat with the bot in the terminal
	scripts/run.sh shell

test: $(MODEL) ## run every test: data validation, pytest (actions, NLU held-out set, REST, conversations, bench smoke run)
	$(BIN)/rasa data validate --fail-on-warnings
	$(BIN)/pytest

bench: $(MODEL) ## measure accuracy (with baselines), latency, throughput and footprint into docs/benchmarks.md
	$(BIN)/python -m bench.run

clean: ## remove the trained model and test output (keeps the virtual environment)
	rm -rf models results tests/artifacts
