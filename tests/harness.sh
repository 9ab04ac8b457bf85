#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# harness.sh DIR: put the kernel's kselftest helpers from Debian's
# linux-source-6.12 into DIR: kselftest_harness.h and kselftest.h for the
# C tests, ktap_helpers.sh for the shell scripts' KTAP (extracted once
# into the cache, not kept in the repository).
set -euo pipefail
cache=${RF_CACHE:-/var/cache/robustfutex}
dst=${1:?usage: harness.sh DIR}
src=$cache/kselftest
files=(kselftest_harness.h kselftest.h kselftest/ktap_helpers.sh)
have=1
for f in "${files[@]}"; do
	[ -e "$src/${f##*/}" ] || have=
done
if [ -z "$have" ]; then
	tarball=$(ls /usr/src/linux-source-6.12*.tar.* 2>/dev/null | head -n 1)
	[ -n "$tarball" ] || { echo "harness.sh: install linux-source-6.12 (tests/deps.sh build)" >&2; exit 1; }
	top=$(basename "$tarball" | sed "s/\.tar\..*//")
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/kselftest.tmp.XXXXXX")
	tar -xf "$tarball" -C "$tmp" "${files[@]/#/$top/tools/testing/selftests/}"
	mkdir -p "$src"
	# One rename per file: a build reading the cache meanwhile sees the
	# old file or the new one, never half of one.
	for f in "${files[@]}"; do
		mv "$tmp/$top/tools/testing/selftests/$f" "$src/"
	done
	rm -rf "$tmp"
fi
mkdir -p "$dst"
for f in "${files[@]}"; do
	cp "$src/${f##*/}" "$dst/"
done
