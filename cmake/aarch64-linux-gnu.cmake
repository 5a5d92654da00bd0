# Toolchain file: cross-compile for 64-bit ARM Linux (Raspberry Pi 4) with Debian's
# gcc-aarch64-linux-gnu, and run the resulting test programs under qemu-user.
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#
# Libraries: Debian multiarch installs arm64 libraries (e.g. libcmocka-dev:arm64, added by
# scripts/bootstrap) into /usr/lib/aarch64-linux-gnu, with architecture-independent headers in
# /usr/include. The cross C library lives in /usr/aarch64-linux-gnu. We therefore search both,
# and rely on CMAKE_LIBRARY_ARCHITECTURE so that find_library only looks into the aarch64
# multiarch directories (never picking an x86-64 library from /usr/lib/x86_64-linux-gnu).
#
# Running: ctest runs every test through CMAKE_CROSSCOMPILING_EMULATOR. `-L` points qemu's
# dynamic loader at the cross C library; a path not found under that prefix falls back to the
# host's, which is where the multiarch libcmocka.so.0 lives.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(NQ_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${NQ_CROSS_TRIPLE}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${NQ_CROSS_TRIPLE})

# Raspberry Pi 4 = Cortex-A72 (ARMv8.0-A + CRC). Not forced here: the default armv8-a code runs
# on every aarch64 board, and crc32c.c selects the CRC instructions at run time.

set(CMAKE_FIND_ROOT_PATH /usr/${NQ_CROSS_TRIPLE} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(NQ_QEMU_AARCH64 qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${NQ_QEMU_AARCH64} -L /usr/${NQ_CROSS_TRIPLE})
