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
