# `make test-trainers`: TRL, veRL and OpenRLHF, each in its own virtual environment with
# the versions in tests/trainers/constraints.txt, driven end to end against a real rlvr
# server (tests/trainers/). PyPI's torch wheel needs the CUDA libraries to import even on
# CPU (~3 GB), so it is installed once into a shared layer that each trainer environment
# reads through a .pth file. Each environment is rebuilt only when its inputs change.
TRAINERS := trl verl openrlhf
TRAINER_DIR := .trainers
TRAINER_REQS := tests/trainers/requirements
TRAINER_CONSTRAINTS := tests/trainers/constraints.txt
TORCH_LAYER := $(TRAINER_DIR)/torch
TRAINER_PIP = $(TRAINER_DIR)/$*/bin/python -m pip --quiet --disable-pip-version-check

.PHONY: test-trainers trainer-envs
.PRECIOUS: $(TRAINER_DIR)/%/.env-stamp

trainer-envs: $(TRAINERS:%=$(TRAINER_DIR)/%/.stamp)

$(TORCH_LAYER)/.stamp: $(TRAINER_CONSTRAINTS)
	rm -rf $(TORCH_LAYER)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(TORCH_LAYER) \
	  -c $(TRAINER_CONSTRAINTS) torch
	touch $@

$(TRAINER_DIR)/%/.env-stamp: $(TORCH_LAYER)/.stamp $(TRAINER_CONSTRAINTS) $(TRAINER_REQS)/%.txt
	rm -rf $(TRAINER_DIR)/$*
	$(PYTHON) -m venv $(TRAINER_DIR)/$*
	$(TRAINER_DIR)/$*/bin/python -c 'import site, sys; open(site.getsitepackages()[0] + "/rlvr-torch-layer.pth", "w").write(sys.argv[1] + "\n")' \
	  $(abspath $(TORCH_LAYER))
	$(TRAINER_PIP) install --upgrade pip
	$(TRAINER_PIP) install -c $(TRAINER_CONSTRAINTS) -r $(TRAINER_REQS)/$*.txt
	if [ -f $(TRAINER_REQS)/$*-nodeps.txt ]; then \
	  $(TRAINER_PIP) install --no-deps -c $(TRAINER_CONSTRAINTS) -r $(TRAINER_REQS)/$*-nodeps.txt; fi
	touch $@

# rlvr-client (the grpo package alone) as a trainer installs it, again whenever grpo changes.
$(TRAINER_DIR)/%/.stamp: $(TRAINER_DIR)/%/.env-stamp client/pyproject.toml $(wildcard grpo/*.py)
	$(TRAINER_PIP) install -c $(TRAINER_CONSTRAINTS) ./client
	$(TRAINER_PIP) install --force-reinstall --no-deps ./client
	touch $@

# The rlvr server the tests start runs from .venv (make install); each trainer's tests run
# in that trainer's environment with their own pytest configuration.
test-trainers: install trainer-envs
	@for t in $(TRAINERS); do echo "== $$t"; \
	  RLVR_SERVER_PYTHON=$(abspath $(PY)) $(TRAINER_DIR)/$$t/bin/python -P -m pytest \
	    -c tests/trainers/pytest.ini tests/trainers/test_$$t.py || exit 1; done
