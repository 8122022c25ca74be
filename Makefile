# The two commands a person needs: `make run` and `make test`. Everything installs
# what is missing first (scripts/install-deps.sh is idempotent).
.PHONY: run test build bench deps clean format fuzz sim soak

JOBS ?= $(shell nproc)
DATA_DIR ?= ./data

deps:
	@bash scripts/install-deps.sh
	@bash scripts/install-node-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build build/release -j $(JOBS)

# The server on 127.0.0.1:8080 with the demo retailer and a gentle live stream.
run: build
	./build/release/src/stockd serve --data-dir $(DATA_DIR) --listen 127.0.0.1:8080 --demo --demo-events-per-second 8

# Every test, built with AddressSanitizer and UndefinedBehaviorSanitizer.
test: deps
	@cmake --preset asan >/dev/null
	@cmake --build build/asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS) --timeout 900
	@bash scripts/fuzz.sh 10

# The seeded simulation (the property tests: random facts, holds, clock steps and reopens
# against an independent model) for each seed in SEEDS, SIM_CASES cases per property.
SEEDS ?= 1 2 3
SIM_CASES ?= 500
sim: deps
	@cmake --preset asan >/dev/null
	@cmake --build build/asan -j $(JOBS) --target stockd_property_tests
	@for seed in $(SEEDS); do echo "seed $$seed"; \
	  RC_PARAMS="seed=$$seed max_success=$(SIM_CASES)" ./build/asan/tests/stockd_property_tests || exit 1; done

# An hour-long mixed workload with memory, open files and latency sampled each minute.
SOAK_MINUTES ?= 60
SOAK_RATE ?=
soak: build
	node bench/soak/soak.mjs $(SOAK_MINUTES) $(SOAK_RATE)

# The libFuzzer targets (clang-14), FUZZ_SECONDS each (tests/fuzz).
FUZZ_SECONDS ?= 600
fuzz: deps
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

bench: build
	./build/release/bench/stockd_engine_bench --benchmark_min_time=1
	bash bench/fsync/run.sh

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build
