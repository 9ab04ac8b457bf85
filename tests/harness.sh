#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# harness.sh DIR: put kselftest_harness.h and kselftest.h from Debian's
# linux-source-6.12 into DIR (extracted once into the cache, not kept in
# the repository).
set -euo pipefail
cache=${RF_CACHE:-/var/cache/robustfutex}
dst=${1:?usage: harness.sh DIR}
src=$cache/kselftest
if [ ! -e "$src/kselftest_harness.h" ]; then
	tarball=$(ls /usr/src/linux-source-6.12*.tar.* 2>/dev/null | head -n 1)
	[ -n "$tarball" ] || { echo "harness.sh: install linux-source-6.12" >&2; exit 1; }
	top=$(basename "$tarball" | sed "s/\.tar\..*//")
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" \
		"$top/tools/testing/selftests/kselftest_harness.h" \
		"$top/tools/testing/selftests/kselftest.h"
	mkdir -p "$src"
	mv "$src.tmp/$top/tools/testing/selftests/"*.h "$src/"
	rm -rf "$src.tmp"
fi
mkdir -p "$dst"
cp "$src/kselftest_harness.h" "$src/kselftest.h" "$dst/"
