# guanwu — the two commands a newcomer needs are `make run` and `make test`.
UV := bash scripts/uv.sh

.PHONY: run test test-unit lint typecheck bench infra-up infra-down infra-status docs

# The simulator's demo enterprise holds this data set (ENTERPRISE:DECLARATIONS:BONDED_LISTS[:SEED], last 30 days)
# for `guanwu sync declarations --by-day …` to pull; e.g. `make run SIM_DATASET=demo:100000:20000`.
SIM_DATASET ?= demo:2000:200

run: ## Run guanwu embedded with the Single Window simulator (demo, seeded) on :8000; ARGS="--port 8100 --data-dir …" or GUANWU_PORT / GUANWU_DATA_DIR
	$(UV) sync --frozen
	$(UV) run guanwu up --simulator $(ARGS) --simulator-dataset $(SIM_DATASET)

test: ## The whole suite on real Kafka, FerretDB and pcscd (installs and starts them)
	bash scripts/test.sh

test-unit: ## Only the unit tier (no infrastructure)
	$(UV) run pytest -m unit -q

lint:
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run lint-imports

typecheck:
	$(UV) run mypy

bench: ## Throughput ratios against raw aiokafka / pymongo (needs `make infra-up`)
	bash scripts/bench.sh

docs: ## Regenerate JSON Schemas, the AsyncAPI document and docs/rules.md
	$(UV) run python -m guanwu.contracts.schemas write
	-$(UV) run python -m guanwu.customs.rules.docs

infra-up:
	bash deploy/local/infra.sh up all

infra-down:
	bash deploy/local/infra.sh down all

infra-status:
	bash deploy/local/infra.sh status all
