# ML-DSA-signed JWTs (src/server/jwt_mldsa.c) against @noble/post-quantum, both ways:
#   jwt_mldsa_cross_65/87  tokens of the server's encoder (key pair made by the server's loader)
#                          verified by noble with the .pub file and the empty context, tampered
#                          ones and other contexts refused, noble's key from the .key seed equal
#                          to the .pub; tokens signed by noble checked by the server's verifier
#                          (label crypto; skipped, code 77, without node/npm/the registry)
add_executable(jwt_mldsa_tool ${CMAKE_CURRENT_SOURCE_DIR}/jwt_mldsa_tool.c)
target_link_libraries(jwt_mldsa_tool PRIVATE nqserver nqcrypto)
foreach(level 65 87)
  add_test(NAME jwt_mldsa_cross_${level}
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/jwt_mldsa_cross.sh ${NQ_NOBLE_SH} ${NQ_NOBLE_DIR}
            $<TARGET_FILE:jwt_mldsa_tool> ${level} 40)
  set_tests_properties(jwt_mldsa_cross_${level} PROPERTIES LABELS crypto SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
