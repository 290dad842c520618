# The contract's commands (../shared/CONTRACT.md). `.venv/` holds the virtual environment.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MEMBERS := shared services/members services/consultation services/feedback services/notify
PYPROJECTS := $(addsuffix /pyproject.toml,$(MEMBERS))

.PHONY: install run test token clean

install: $(STAMP)

# Re-installs only when a pyproject or the constraints change, so it is idempotent and fast.
$(STAMP): $(PYPROJECTS) constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt \
		-e "shared[embedded,test]" $(addprefix -e ,$(filter services/%,$(MEMBERS)))
	@touch $(STAMP)
	@echo "installed into $(VENV)/"

run: install
	@$(BIN)/liaison run

test: install
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

# make token ROLE=staff ORG=640221000000 [DEPT=…] [MEMBER=…] [SUB=…]
token: install
	@$(BIN)/liaison token --role "$(ROLE)" --org "$(ORG)" \
		$(if $(DEPT),--dept "$(DEPT)") $(if $(MEMBER),--member-id "$(MEMBER)") $(if $(SUB),--sub "$(SUB)")

clean:
	rm -rf $(VENV) .pytest_cache
