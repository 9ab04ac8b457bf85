#!/bin/bash
# Checks that run on the host, as TAP: the spin model of the protocol
# (../shared/model, beside the clone) and checkpatch.pl --strict from
# Debian's linux-source-6.12 on the kernel sources.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${RF_CACHE:-/var/cache/robustfutex}
n=0
ok()  { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }

model=${RF_MODEL:-$top/../shared/model/intent.pml}
if [ -e "$model" ]; then
	w=$(mktemp -d)
	cp "$model" "$w/"
	run_pan() {	# run_pan [spin flags]: prints pan's error count
		(cd "$w" && spin -a "$@" intent.pml >/dev/null &&
		 gcc -w -O2 -DSAFETY -DNOCLAIM -o pan pan.c &&
		 ./pan -m500000 | sed -n 's/.*errors: \([0-9]*\).*/\1/p')
	}
	e=$(run_pan)
	[ "$e" = 0 ] && ok "spin: intent protocol holds (0 errors)" ||
		nok "spin: intent protocol: errors=${e:-?}"
	e=$(run_pan -DMAINLINE)
	[ -n "$e" ] && [ "$e" != 0 ] &&
		ok "spin: mainline variant writes freed memory (bug 14485 reproduced)" ||
		nok "spin: mainline variant found no error"
	rm -rf "$w"
else
	echo "# SKIP spin model: $model not found"
fi

cp_dir=$cache/checkpatch
if [ ! -e "$cp_dir/scripts/checkpatch.pl" ]; then
	tarball=$(ls /usr/src/linux-source-6.12*.tar.* | head -n 1)
	t=$(basename "$tarball" | sed 's/\.tar\..*//')
	mkdir -p "$cp_dir"
	tar -xf "$tarball" -C "$cp_dir" --strip-components=1 \
		"$t/scripts/checkpatch.pl" "$t/scripts/spelling.txt" \
		"$t/scripts/const_structs.checkpatch"
fi
out=$(cd "$top" && perl "$cp_dir/scripts/checkpatch.pl" --no-tree --strict \
	--terse --show-types -f module/*.c module/*.h uapi/linux/*.h 2>&1)
errs=$(grep -c ': ERROR:' <<<"$out")
warns=$(grep -cE ': (WARNING|CHECK):' <<<"$out")
grep -E ': (ERROR|WARNING|CHECK):' <<<"$out" | sed 's/^/# /'
[ "$errs" = 0 ] && ok "checkpatch --strict: 0 errors ($warns warnings/checks)" ||
	nok "checkpatch --strict: $errs errors"
echo "1..$n"
