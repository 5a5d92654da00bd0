# Thin wrapper over CMake for the README's commands.
#   make            build (release, build/)
#   make run        build and start the shell on ./nqdb.db
#   make test       everything CI runs: warnings-as-errors build + all tests, sanitizer build +
#                   unit tests, aarch64 cross build + unit tests under qemu, short fuzz runs
#   make bench      run the benchmarks against their anchors
JOBS ?= $(shell nproc)

.PHONY: all build run test test-native test-asan test-arm64 test-fuzz bench clean

all: build

build:
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build -j $(JOBS)

run: build
	./build/nqdb shell nqdb.db

test:
	scripts/test-all

bench: build
	scripts/run-benchmarks

clean:
	rm -rf build build-*
