#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The same unmodified pthread program (preload-demo), run plainly and with
# LD_PRELOAD=librobustfutex-pthread.so: the answers must be the same, and
# only the second run's mutex is the preload's.  Exit status 0 only if so.
#
#   preload-demo.sh [PATH/TO/librobustfutex-pthread.so]
#
# Default: the preload next to this script's build (../lib), else the
# installed one (/usr/local/lib).  The module must be loaded.
here=$(cd "$(dirname "$0")" && pwd)
prog=$here/preload-demo
pre=${1:-}
if [ -z "$pre" ]; then
	for p in "$here/../lib/librobustfutex-pthread.so" \
		 /usr/local/lib/librobustfutex-pthread.so; do
		[ -e "$p" ] && { pre=$p; break; }
	done
fi
[ -e "$pre" ] || { echo "preload-demo.sh: no librobustfutex-pthread.so" >&2; exit 2; }

echo "== $prog"
plain=$("$prog"); rc1=$?
echo "$plain"
echo "== LD_PRELOAD=$pre $prog"
preloaded=$(LD_PRELOAD=$pre "$prog"); rc2=$?
echo "$preloaded"

ok=1
[ $rc1 -eq 0 ] || { echo "plain run: exit $rc1"; ok=0; }
[ $rc2 -eq 0 ] || { echo "preloaded run: exit $rc2"; ok=0; }
# The answers, without the line that says whose mutex it was.
if [ "$(echo "$plain" | grep -v '^#')" != "$(echo "$preloaded" | grep -v '^#')" ]; then
	echo "the answers differ"; ok=0
fi
echo "$plain" | grep -q '^# mutex made by: glibc$' ||
	{ echo "plain run: not glibc's mutex"; ok=0; }
echo "$preloaded" | grep -q '^# mutex made by: librobustfutex-pthread$' ||
	{ echo "preloaded run: not the preload's mutex (module loaded?)"; ok=0; }
if [ $ok -eq 1 ]; then
	echo "OK: same answers; the preloaded run used the module's robust mutex"
	exit 0
fi
echo "FAIL"
exit 1
