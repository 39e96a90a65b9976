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

# examples/ci/: both CI files parse as YAML and hold a shard matrix, the set-up cache, KVM,
# failed tests' artifacts and JUnit. Debian's python3, which has python3-yaml from setup.sh.
find_program(KTSTR_SYSTEM_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH REQUIRED)
add_test(NAME examples_ci
         COMMAND "${KTSTR_SYSTEM_PYTHON3}" "${CMAKE_CURRENT_SOURCE_DIR}/examples_ci_test.py" "${CMAKE_SOURCE_DIR}/examples/ci")
set_tests_properties(examples_ci PROPERTIES LABELS unit TIMEOUT 60)

# tests/sched_ext_selftests: the manifest loads and selftest.sh's verdicts (pass/skip/fail/none),
# with a stand-in runner; the VM test sched_ext_selftests_suite runs the real one.
add_test(NAME sched_ext_selftests_files
         COMMAND "${CMAKE_CURRENT_SOURCE_DIR}/sched_ext_selftests_files_test.sh" "${KTSTR_BIN_DIR}/ktstr-vm" "${CMAKE_SOURCE_DIR}")
set_tests_properties(sched_ext_selftests_files PROPERTIES LABELS unit TIMEOUT 60)
