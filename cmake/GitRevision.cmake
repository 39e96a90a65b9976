# cmake -DSRC=DIR -DOUT=FILE -P GitRevision.cmake: writes FILE defining KTSTR_GIT_REVISION, the
# source tree's `git describe --always --dirty`, or "unknown" outside a git checkout. Run on every
# build; FILE is rewritten only when the revision changed, so nothing recompiles otherwise.
execute_process(COMMAND git -C "${SRC}" describe --always --dirty --abbrev=12
                OUTPUT_VARIABLE rev RESULT_VARIABLE rc ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0 OR rev STREQUAL "")
  set(rev "unknown")
endif()
set(content "#define KTSTR_GIT_REVISION \"${rev}\"\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUT}" "${content}")
endif()
