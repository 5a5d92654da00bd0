# Toolchain file: cross-compile for 64-bit ARM Linux (Raspberry Pi 4) with Debian's
# gcc-aarch64-linux-gnu, and run the resulting test programs under qemu-user.
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#
# Libraries: Debian multiarch installs arm64 libraries (e.g. libcmocka-dev:arm64 and
# libssl-dev:arm64, added by scripts/bootstrap) into /usr/lib/aarch64-linux-gnu, with architecture-independent headers in
# /usr/include. The cross C library lives in /usr/aarch64-linux-gnu. We therefore search both,
# and rely on CMAKE_LIBRARY_ARCHITECTURE so that find_library only looks into the aarch64
# multiarch directories (never picking an x86-64 library from /usr/lib/x86_64-linux-gnu).
#
# Running: ctest runs every test through CMAKE_CROSSCOMPILING_EMULATOR (qemu-aarch64). Which
# C library the programs run on matters more than it seems. Multiarch libcmocka0:arm64 brings
# libc6:arm64, so there are two aarch64 C libraries: the cross one (libc6-arm64-cross, in
# /usr/aarch64-linux-gnu) and the multiarch one (/lib/ld-linux-aarch64.so.1,
# /lib/aarch64-linux-gnu). With `qemu-aarch64 -L /usr/aarch64-linux-gnu` the dynamic loader
# comes from the cross copy but libc.so.6 is found through the host's ld.so.cache in the
# multiarch directory: a loader and a libc from two different builds, and the first
# pthread_create spins forever. So when the multiarch runtime is present we run on it alone
# (no -L: loader, libc and libcmocka all from /lib/aarch64-linux-gnu, one consistent set);
# only without it do we point qemu at the cross copy.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(NQ_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${NQ_CROSS_TRIPLE}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${NQ_CROSS_TRIPLE})

# Raspberry Pi 4 = Cortex-A72 (ARMv8.0-A + CRC). Not forced here: the default armv8-a code runs
# on every aarch64 board, and crc32c.c selects the CRC instructions at run time.

# Multiarch -dev packages put their architecture-specific headers (e.g. openssl/configuration.h
# of libssl-dev:arm64) into /usr/include/aarch64-linux-gnu. -idirafter searches it last, after
# the cross C library's own headers, so it can only supply what nothing else has.
set(CMAKE_C_FLAGS_INIT "-idirafter /usr/include/${NQ_CROSS_TRIPLE}")

# pkg-config (which FindOpenSSL asks first) must describe the arm64 libraries, not the host's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${NQ_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

set(CMAKE_FIND_ROOT_PATH /usr/${NQ_CROSS_TRIPLE} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(NQ_QEMU_AARCH64 qemu-aarch64 REQUIRED)
if(EXISTS /lib/ld-linux-aarch64.so.1 AND EXISTS /lib/${NQ_CROSS_TRIPLE}/libc.so.6)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${NQ_QEMU_AARCH64})
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR ${NQ_QEMU_AARCH64} -L /usr/${NQ_CROSS_TRIPLE})
endif()
