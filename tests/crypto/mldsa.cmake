# ML-DSA (FIPS 204) tests beyond the unit test (docs/security.md, "ML-DSA (FIPS 204)"):
#   mldsa_cross_44/65/87  byte-exact agreement with @noble/post-quantum: keys from seeds,
#                         deterministic and hedged signatures with contexts, the internal
#                         interface, and the verdicts on genuine and tampered signatures,
#                         messages, contexts and public keys (label crypto; skipped, code 77,
#                         when node/npm/the registry is unavailable — a failure under CI=true)
#   mldsa_ct              the "ctgrind" constant-time check: keygen and sign on a seed, secret
#                         key and rnd marked undefined for valgrind's memcheck, which must see
#                         no secret-dependent branch or index except the declassified ones
#                         (label ct; needs valgrind; not in a sanitized build)
add_executable(mldsa_vectors ${CMAKE_CURRENT_SOURCE_DIR}/mldsa_vectors.c)
target_include_directories(mldsa_vectors PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(mldsa_vectors PRIVATE nqcrypto nqbase)
# (level, key pairs, of which signing): signing costs noble several ms per case
foreach(lc "44;300;60" "65;300;100" "87;300;60")
  list(GET lc 0 level)
  list(GET lc 1 count)
  list(GET lc 2 signcount)
  add_test(NAME mldsa_cross_${level}
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/mldsa_cross.sh ${NQ_NOBLE_SH} ${NQ_NOBLE_DIR}
            $<TARGET_FILE:mldsa_vectors> ${level} ${count} ${signcount} 2040${level})
  set_tests_properties(mldsa_cross_${level} PROPERTIES LABELS crypto SKIP_RETURN_CODE 77 TIMEOUT 600)
endforeach()

add_executable(mldsa_ct ${CMAKE_CURRENT_SOURCE_DIR}/mldsa_ct.c)
target_include_directories(mldsa_ct PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(mldsa_ct PRIVATE nqcrypto nqbase)
# Valgrind 3.19 (Debian 12) cannot read the DWARF 5 debug information clang writes by default
# ("unhandled dwarf2 abbrev form"), so the check runs in gcc builds (CI's native stage).
if(NQ_VALGRIND AND NOT NQ_SANITIZE AND NOT CMAKE_C_COMPILER_ID STREQUAL "GNU")
  message(STATUS "tests/crypto/mldsa.cmake: mldsa_ct needs a gcc build (valgrind 3.19 and clang's DWARF 5)")
elseif(NQ_VALGRIND AND NOT NQ_SANITIZE)
  add_test(NAME mldsa_ct
    COMMAND ${NQ_VALGRIND} --tool=memcheck --error-exitcode=1 --track-origins=yes
            --errors-for-leak-kinds=none $<TARGET_FILE:mldsa_ct>)
  set_tests_properties(mldsa_ct PROPERTIES LABELS ct SKIP_RETURN_CODE 77 TIMEOUT 600)
elseif(NOT NQ_VALGRIND)
  message(STATUS "tests/crypto/mldsa.cmake: valgrind not found, mldsa_ct not registered")
endif()
