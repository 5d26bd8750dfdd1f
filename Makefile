# mesos.overlay: set-up, the local lab and the tests.
#   make lab    bring up the local lab, converge it, print status and ping matrix
#   make test   unit tests, ansible-test sanity, the linters (ansible-lint,
#               shellcheck, antsibull-docs, antsibull-changelog), the collection
#               tests (artifact, docs, execution environment), molecule
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
COLL := .build/collections/ansible_collections/mesos/overlay
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: help venv collection hostdeps engine image lab lab-down test unit sanity lint ansible-lint shellcheck docs-lint changelog-lint collection-test molecule molecule-destroy bench clean

help:
	@echo "make lab       set up everything, bring up the lab, converge, status + ping matrix"
	@echo "make lab-down  remove the lab containers, networks and state (state file, .bak, lock)"
	@echo "make test      unit tests, sanity, linters, collection tests, molecule (what CI runs)"
	@echo "make bench     benchmarks (print figures)"

$(VENV)/.stamp: requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.stamp

# The collection is used in place: a link from the collections path to the repo.
collection:
	@mkdir -p $(dir $(COLL))
	@test -L $(COLL) || ln -sfn $(CURDIR) $(COLL)

hostdeps:
	scripts/host-packages.sh

engine: hostdeps
	scripts/docker-engine.sh

image: engine
	scripts/lab-image.sh

lab: venv collection image
	ansible-playbook -i inventories/lab playbooks/lab.yml

lab-down: venv collection
	ansible-playbook -i inventories/lab playbooks/lab.yml -e overlay_lab_state=absent

# Unit tests, then the netlink tests again under Debian 12's pyroute2 (0.7.2).
# Netlink and NAT tests need root and the host packages (scripts/host-packages.sh);
# the Docker tests need the engine and the lab image, so both are made first.
unit: venv collection hostdeps image
	$(BIN)/python -m pytest -q tests/unit
	LEGS=old tests/unit/run_pyroute2_matrix.sh

sanity: venv hostdeps
	scripts/sanity.sh

lint: ansible-lint shellcheck docs-lint changelog-lint

ansible-lint: venv collection
	ansible-lint --profile production

# Every shell script of the repo (scripts/, the lab image, .ci/, tests/, ...).
shellcheck: hostdeps
	scripts/shellcheck.sh

# Plugin, module and role docs: schema, markup, references.
docs-lint: venv collection
	antsibull-docs lint-collection-docs --plugin-docs .

changelog-lint: venv
	antsibull-changelog lint

# The artifact (ansible-galaxy collection build in a used checkout, its pinned
# file list, installed and parsed), docs and examples, ansible-builder.
collection-test: venv collection
	$(BIN)/python -m pytest -q tests/collection

molecule: venv collection image
	molecule test --all

molecule-destroy: venv collection
	molecule destroy --all

test: unit sanity lint collection-test molecule

bench: venv collection
	$(BIN)/python bench/run.py

clean: lab-down
	rm -rf .build
