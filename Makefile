# The commands of docs/api.md (make run, make test, make bench, make token). `.venv/` holds the virtual environment.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --quiet --disable-pip-version-check
# The repository's own packages (the uv workspace of pyproject.toml), installed editable.
LOCAL  := shared tools services/members services/consultation services/feedback services/notify services/portal
PYPROJECTS := pyproject.toml $(addsuffix /pyproject.toml,$(LOCAL))

.PHONY: install run test bench token hooks lock clean

# What running needs: the run set (no test or bench extras). `make test` and `make bench` add
# theirs. Each set is requirements/<set>.txt, exported from uv.lock: every third-party file is
# checked against its hash, then the local packages go in editable without dependencies (an
# editable install has no file to hash). A stamp per set: re-installs only when its requirements
# or a pyproject change, so it is idempotent and fast.
install: $(VENV)/.installed-run

$(VENV)/.installed-%: requirements/%.txt $(PYPROJECTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(PIP) install --require-hashes -r requirements/$*.txt
	@$(PIP) install --no-deps --no-build-isolation $(addprefix -e ,$(LOCAL))
	@touch $@
	@echo "installed the $* set into $(VENV)/"

run: install
	@$(BIN)/liaison run

test: $(VENV)/.installed-test
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

# The integration suite on Apache Kafka 4 (KRaft, started from Maven Central's jars,
# cached in ~/.cache/cppcc-liaison): needs Java 17, and Maven for the first fetch. KAFKA_NODES=3
# for three.
.PHONY: test-kafka
KAFKA_NODES ?= 1
test-kafka: $(VENV)/.installed-test
	@KAFKA_IDEMPOTENCE=true $(BIN)/python -m liaison_tools.apache_kafka run --nodes $(KAFKA_NODES) -- \
		$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

# The fault suite on Apache Kafka (about seven minutes): one node cut, killed and restarted, and
# the three-node scenarios of tests/faults/test_cluster.py.
.PHONY: test-kafka-faults
test-kafka-faults: $(VENV)/.installed-test
	@KAFKA_IDEMPOTENCE=true FAULTS_BROKER=apache-kafka $(BIN)/python -m liaison_tools.apache_kafka run --nodes 1 -- \
		$(BIN)/python -m pytest tests/faults $(PYTEST_ARGS)

# The end-to-end benchmark on a stack of its own with a durable PostgreSQL (at most 15 minutes):
# a rate search, three repetitions at the rate found, the limits; JSON and PNG in bench/results/.
# On Apache Kafka where Java 17 is here, else on the embedded broker ("--broker embedded" asks for it).
# BENCH_ARGS="--quick --rate 100" for a smoke run,
# "--soak" for 20 minutes at 60 % of the found rate (README, "Performance").
bench: install
	@$(BIN)/python bench/run.py $(BENCH_ARGS)

# make token ROLE=staff ORG=640221000000 [DEPT=…] [MEMBER=…] [SUB=…]
token: install
	@$(BIN)/liaison token --role "$(ROLE)" --org "$(ORG)" \
		$(if $(DEPT),--dept "$(DEPT)") $(if $(MEMBER),--member-id "$(MEMBER)") $(if $(SUB),--sub "$(SUB)")

# The bench set (test and bench extras) for `make bench`, whose recipe is above.
bench: $(VENV)/.installed-bench

# Contributors: the commit hooks of .pre-commit-config.yaml (the suite's lint, offline).
hooks: $(VENV)/.installed-dev
	@$(BIN)/pre-commit install

# After changing a dependency in any pyproject.toml: resolve uv.lock again and export each set
# for pip (needs uv: `pip install uv`, or UV=path/to/uv).
UV   ?= uv
SETS := runtime run test bench dev sbom
lock:
	$(UV) lock
	@for set in $(SETS); do $(UV) export --quiet --frozen --no-emit-workspace --only-group $$set \
		-o requirements/$$set.txt; done

clean:
	rm -rf $(VENV) .pytest_cache
