# Writes OUT, a C header defining SCHED_GIT_REVISION as `git describe` of
# SRC ("unknown" outside a git checkout); run at every build, it rewrites
# OUT only when the revision changed, so nothing rebuilds needlessly.
execute_process(COMMAND git -C ${SRC} describe --always --dirty --abbrev=12
  OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR rev STREQUAL "")
  set(rev "unknown")
endif()
file(WRITE ${OUT}.tmp "#define SCHED_GIT_REVISION \"${rev}\"\n")
configure_file(${OUT}.tmp ${OUT} COPYONLY)
