# ML-KEM (FIPS 203) against an independent implementation and under valgrind
# (docs/security.md, "ML-KEM (FIPS 203)"); included by tests/crypto/CMakeLists.txt.
#
#   crypto_mlkem_cross   mlkem_vectors prints keygen/encaps/decaps results, tampered and
#                        malformed inputs for seeded-random cases of ML-KEM-512/768/1024;
#                        mlkem_cross.mjs recomputes them with @noble/post-quantum and compares
#                        every byte (mlkem_cross.sh runs noble.sh first: 77 = skipped).
add_executable(mlkem_vectors ${CMAKE_CURRENT_SOURCE_DIR}/mlkem_vectors.c)
target_include_directories(mlkem_vectors PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(mlkem_vectors PRIVATE nqcrypto)

add_test(NAME crypto_mlkem_cross
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/mlkem_cross.sh ${NQ_NOBLE_SH} ${NQ_NOBLE_DIR}
          $<TARGET_FILE:mlkem_vectors> ${CMAKE_CURRENT_SOURCE_DIR}/mlkem_cross.mjs)
set_tests_properties(crypto_mlkem_cross PROPERTIES LABELS crypto SKIP_RETURN_CODE 77 TIMEOUT 600)

#   crypto_mlkem_cctv    the accumulated vectors of C2SP CCTV: 10 000 deterministic cases per
#                        parameter set hashed into one SHAKE128 value each, against the
#                        published hashes (needs nothing outside the build)
add_executable(mlkem_cctv ${CMAKE_CURRENT_SOURCE_DIR}/mlkem_cctv.c)
target_include_directories(mlkem_cctv PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(mlkem_cctv PRIVATE nqcrypto)
add_test(NAME crypto_mlkem_cctv COMMAND mlkem_cctv)
set_tests_properties(crypto_mlkem_cctv PROPERTIES LABELS crypto TIMEOUT 600)

#   crypto_mlkem_ct      label ct: mlkem_ct under valgrind memcheck with the secret inputs
#                        marked undefined: no branch, no memory index on secrets
#                        (--error-exitcode=1); crypto_mlkem_ct_canary shows that the method
#                        catches a secret-dependent branch (it must fail). Not in sanitized
#                        builds, nor without valgrind or its client-request header.
include(CheckIncludeFile)
check_include_file(valgrind/memcheck.h NQ_HAVE_MEMCHECK_H)
if(NQ_VALGRIND AND NQ_HAVE_MEMCHECK_H AND NOT NQ_SANITIZE AND NOT NQ_FUZZ)
  file(GLOB NQ_MLKEM_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/crypto/mlkem*.c)
  # its own copy of the ML-KEM sources, with MLKEM_DECLASSIFY enabled (mlkem_internal.h)
  add_executable(mlkem_ct ${CMAKE_CURRENT_SOURCE_DIR}/mlkem_ct.c ${NQ_MLKEM_SOURCES}
                 ${PROJECT_SOURCE_DIR}/src/crypto/crypto_util.c)
  target_include_directories(mlkem_ct PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_definitions(mlkem_ct PRIVATE NQ_MLKEM_CT_TEST)
  target_link_libraries(mlkem_ct PRIVATE nqbase OpenSSL::Crypto)
  add_test(NAME crypto_mlkem_ct
    COMMAND ${NQ_VALGRIND} --tool=memcheck --error-exitcode=1 --track-origins=yes
            $<TARGET_FILE:mlkem_ct>)
  set_tests_properties(crypto_mlkem_ct PROPERTIES LABELS ct TIMEOUT 600)
  add_test(NAME crypto_mlkem_ct_canary
    COMMAND ${NQ_VALGRIND} --tool=memcheck --error-exitcode=1 $<TARGET_FILE:mlkem_ct> --canary)
  set_tests_properties(crypto_mlkem_ct_canary PROPERTIES LABELS ct WILL_FAIL TRUE TIMEOUT 300)
else()
  message(STATUS "tests/crypto/mlkem.cmake: the valgrind constant-time test is not registered "
                 "(needs valgrind and valgrind/memcheck.h, and a build without sanitizers)")
endif()
