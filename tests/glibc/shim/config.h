/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for the config.h of a configured glibc tree, for building
 * glibc's tests and support/ outside that tree against the installed
 * glibc.  build.sh force-includes it (-include), as glibc force-includes
 * libc-symbols.h, which includes config.h.  None of the files built tests
 * a configure macro, so it only supplies what glibc's internal headers
 * would have pulled in transitively. */
#include <limits.h>	/* NAME_MAX in support/temp_file.c */
/* configure's --with-timeoutfactor default; the TIMEOUTFACTOR environment
 * variable scales it at run time (the guest sets it: TCG is slow). */
#define TIMEOUTFACTOR 1
