# Thin wrapper over CMake for the README's commands.
#   make            build (release, build/)
#   make run        build and start the shell on ./nqdb.db
#   make test       everything CI runs: warnings-as-errors build + all tests, sanitizer build +
#                   unit tests, ThreadSanitizer build + concurrency tests, aarch64 cross build +
#                   unit tests under qemu, short fuzz runs
#   make test-native | test-asan | test-tsan | test-arm64 | test-fuzz    one stage of `make test`
#   make fuzz       a longer fuzzing session (FUZZ_SECONDS=300 per harness)
#   make bench      run the benchmarks against their anchors
JOBS ?= $(shell nproc)

.PHONY: all configure build run test test-native test-asan test-tsan test-arm64 test-fuzz fuzz bench clean

all: build

# build/ is the user's release build. Warnings are not errors here (CI's stages are -Werror):
# a newer compiler's new warning must not stop someone from building the database.
configure:
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNQ_WERROR=OFF >/dev/null

build: configure
	cmake --build build -j $(JOBS)

# Only the nqdb program is needed to start the shell: quicker on a fresh machine.
run: configure
	cmake --build build -j $(JOBS) --target nqdb_cli
	./build/nqdb shell nqdb.db

test:
	scripts/test-all

# One stage of `make test` each (scripts/test-all --help tells what they do).
test-native:
	scripts/test-all native
test-asan:
	scripts/test-all asan
test-tsan:
	scripts/test-all tsan
test-arm64:
	scripts/test-all arm64
test-fuzz:
	scripts/test-all fuzz

# A longer fuzzing session: make fuzz FUZZ_SECONDS=600 (docs/testing.md).
FUZZ_SECONDS ?= 300
fuzz:
	NQ_FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/test-all fuzz

bench: build
	scripts/run-benchmarks

clean:
	rm -rf build build-*
