# The commands of docs/api.md (make run, make test, make bench, make token). `.venv/` holds the virtual environment.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MEMBERS := shared services/members services/consultation services/feedback services/notify
PYPROJECTS := $(addsuffix /pyproject.toml,$(MEMBERS))

.PHONY: install run test bench token clean

install: $(STAMP)

# Re-installs only when a pyproject or the constraints change, so it is idempotent and fast.
$(STAMP): $(PYPROJECTS) constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt \
		-e "shared[embedded,test,bench]" $(addprefix -e ,$(filter services/%,$(MEMBERS)))
	@touch $(STAMP)
	@echo "installed into $(VENV)/"

run: install
	@$(BIN)/liaison run

test: install
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

# The integration suite on Apache Kafka 4 (KRaft, started from Maven Central's jars,
# cached in ~/.cache/cppcc-liaison): needs Java 17, and Maven for the first fetch. KAFKA_NODES=3
# for three.
.PHONY: test-kafka
KAFKA_NODES ?= 1
test-kafka: install
	@KAFKA_IDEMPOTENCE=true $(BIN)/python -m liaison_shared.apache_kafka run --nodes $(KAFKA_NODES) -- \
		$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

# The fault suite on Apache Kafka (about seven minutes): one node cut, killed and restarted, and
# the three-node scenarios of tests/faults/test_cluster.py.
.PHONY: test-kafka-faults
test-kafka-faults: install
	@KAFKA_IDEMPOTENCE=true FAULTS_BROKER=apache-kafka $(BIN)/python -m liaison_shared.apache_kafka run --nodes 1 -- \
		$(BIN)/python -m pytest tests/faults $(PYTEST_ARGS)

# The end-to-end benchmark on its own embedded stack (about three minutes): results in
# bench/results/ as JSON and PNG. BENCH_ARGS="--rates 500,600 --stage-seconds 30" to vary.
bench: install
	@$(BIN)/python bench/run.py $(BENCH_ARGS)

# make token ROLE=staff ORG=640221000000 [DEPT=…] [MEMBER=…] [SUB=…]
token: install
	@$(BIN)/liaison token --role "$(ROLE)" --org "$(ORG)" \
		$(if $(DEPT),--dept "$(DEPT)") $(if $(MEMBER),--member-id "$(MEMBER)") $(if $(SUB),--sub "$(SUB)")

clean:
	rm -rf $(VENV) .pytest_cache
