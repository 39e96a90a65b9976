# Script-driven unit tests, included from tests/unit/CMakeLists.txt.
# decode_independent_test.sh checks `ktstr-vm decode` against captures written by an independent
# Python implementation of the wire protocol (tests/tools/gen_capture.py, stdlib only). It needs
# the built ktstr-vm in KTSTR_BIN_DIR and python3.
find_program(KTSTR_PYTHON3 python3 REQUIRED)
add_test(NAME decode_independent
         COMMAND "${CMAKE_CURRENT_SOURCE_DIR}/decode_independent_test.sh" "${KTSTR_BIN_DIR}/ktstr-vm")
set_tests_properties(decode_independent PROPERTIES
                     LABELS unit
                     TIMEOUT 120
                     ENVIRONMENT "PYTHON3=${KTSTR_PYTHON3}")

# scripts/build.sh names its steps on stderr (it runs the up-to-date build once more).
add_test(NAME build_progress
         COMMAND "${CMAKE_CURRENT_SOURCE_DIR}/build_progress_test.sh" "${CMAKE_SOURCE_DIR}" "${CMAKE_BINARY_DIR}")
set_tests_properties(build_progress PROPERTIES LABELS unit TIMEOUT 300 RUN_SERIAL TRUE)
