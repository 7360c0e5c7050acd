/* version.c - what built this binary: the version and the git revision,
 * for the provenance every output carries. */
#include "common/common.h"

#include "sched_revision.h"

const char *sched_version(void) { return SCHED_VERSION; }

const char *sched_git_revision(void) { return SCHED_GIT_REVISION; }
