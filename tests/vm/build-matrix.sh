#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build-matrix.sh [KERNEL...]: compile the module (Kbuild, module/, include/)
# against the headers of every Debian kernel series it supports, plain and
# PREEMPT_RT, and print TAP: "ok N - build: KREL", or "not ok N - build:
# KREL (first lines of the error)".  A build that prints any "warning:"
# (the compiler's or modpost's) fails.
#
# KERNEL is a kernel.sh name; the default list (RF_MATRIX overrides) is
# Debian 12's 6.1 and 6.12 (built on the host, against headers unpacked in
# the cache) and each trixie-backports series from 6.16 on (built in the
# Debian 13 chroot, trixie-chroot.sh, where their kbuild tools run), each
# at the newest release Debian has of it.  Results are kept under
# $RF_CACHE/matrix/KREL-HASH, HASH naming the module's sources: a run with
# nothing new to build takes seconds.  rm -r that directory to rebuild.
#
# build-matrix.sh --arch arm64 [6.1 6.12]: the same for Debian 12's arm64
# kernels (default both), cross-built with cross.sh's aarch64 compiler.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${RF_CACHE:-/var/cache/robustfutex}
default="6.1 6.1-rt 6.12 6.12-rt 6.16 6.16-rt 6.18 6.18-rt 6.19 6.19-rt 7.0 7.0-rt 7.1 7.1-rt 7.2 7.2-rt 7.3 7.3-rt"
arch=() xmake=()
if [ "${1:-}" = --arch ]; then
	arch=(--arch "$2"); shift 2
	default="6.1 6.12"
	eval "$("$here/cross.sh" aarch64)"
	PATH=$CROSS_PATH:$PATH
	xmake=(ARCH=arm64 CROSS_COMPILE="$CROSS_COMPILE")
fi
if [ $# -gt 0 ]; then
	kernels=("$@")
else
	read -r -a kernels <<<"${RF_MATRIX:-$default}"
fi
src_hash=$(cd "$top" && cat Kbuild module/* include/robustfutex/* | sha1sum | cut -c1-12)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rf-matrix.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS

# The first lines that say what went wrong, on one line.
first_lines() {	# LOG
	{ grep -E 'error|Error|warning:|WARNING:' "$1" || tail -n 3 "$1"; } |
		head -n 3 | sed 's/^ *//' | tr '\n' ' ' | sed 's/ *$//' | cut -c1-400
}

build() {	# RESULT-DIR: compile there, write RESULT-DIR/result
	local res=$1 rc=0
	rm -rf "$res.tmp" && mkdir -p "$res.tmp/src"
	cp -a "$top/Kbuild" "$top/module" "$top/include" "$res.tmp/src/"
	if [ -n "$KCHROOT" ]; then
		"$here/trixie-chroot.sh" run --bind "$res.tmp/src" /mnt/rf \
			make -j2 -C "$KDIR" M=/mnt/rf modules >"$res.tmp/build.log" 2>&1 || rc=$?
	else
		make -j2 -C "$KDIR" M="$res.tmp/src" ${xmake[@]+"${xmake[@]}"} modules >"$res.tmp/build.log" 2>&1 || rc=$?
	fi
	if [ "$rc" -ne 0 ]; then
		echo "fail $(first_lines "$res.tmp/build.log")" >"$res.tmp/result"
	elif grep -qi 'warning:' "$res.tmp/build.log"; then
		echo "fail warnings: $(grep -i 'warning:' "$res.tmp/build.log" | head -n 3 | tr '\n' ' ' | cut -c1-400)" \
			>"$res.tmp/result"
	elif [ ! -e "$res.tmp/src/robustfutex.ko" ]; then
		echo "fail no robustfutex.ko: $(first_lines "$res.tmp/build.log")" >"$res.tmp/result"
	else
		echo ok >"$res.tmp/result"
	fi
	# Paths as in the tree, not the scratch copy's.
	sed -i "s|$res.tmp/src/||g" "$res.tmp/result"
	# Keep the log and the result, not the objects.
	rm -rf "$res" "$res.tmp/src"
	mv "$res.tmp" "$res"
}

echo "1..${#kernels[@]}"
n=0 pass=0 fail=0
for k in "${kernels[@]}"; do
	n=$((n + 1))
	KCHROOT= KREL= KDIR=
	t0=$SECONDS
	if ! env=$("$here/kernel.sh" ${arch[@]+"${arch[@]}"} --headers "$k" 2>"$tmp/err"); then
		echo "not ok $n - build: $k (kernel.sh: $(grep -v '^kernel.sh: .* is ' "$tmp/err" | head -n 3 | tr '\n' ' '))"
		fail=$((fail + 1))
		continue
	fi
	eval "$env"
	res=$cache/matrix/$KREL-$src_hash
	mkdir -p "$cache/matrix"
	t1=$SECONDS
	if [ ! -e "$res/result" ]; then
		build "$res"
		echo "# $KREL: headers ready in $((t1 - t0))s, built in $((SECONDS - t1))s"
	fi
	r=$(cat "$res/result")
	if [ "$r" = ok ]; then
		echo "ok $n - build: $KREL"
		pass=$((pass + 1))
	else
		echo "not ok $n - build: $KREL (${r#fail })"
		echo "# log: $res/build.log"
		fail=$((fail + 1))
	fi
done
echo "# build-matrix: $pass passed, $fail failed in $((SECONDS - start))s"
[ "$fail" -eq 0 ]
