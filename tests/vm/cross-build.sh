#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# cross-build.sh [OUT]: build librobustfutex and the kselftest programs for
# arm64 guests with Debian's cross compilers (tests/vm/cross.sh): aarch64
# into OUT/tests, armhf (the 32-bit programs an arm64 kernel runs at
# AArch32 EL0) into OUT/tests32, both linked static so the guest needs no
# C library; the libraries in OUT/lib and OUT/lib32, ktap_helpers.sh in
# OUT/include; the examples that need no preload in OUT/examples and
# OUT/examples32.  OUT defaults to build-arm64/ beside build/ (whose x86
# layout vm-run packs, left alone).  The flags are the Makefile's; a
# compiler warning fails the build.  t_dlopen is left out: it dlopens the
# shared library, which a static program cannot.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/build-arm64}
jobs=${RF_JOBS:-2}

# The kselftest headers and ktap_helpers.sh, as make puts them in build/.
make -s -C "$top" build/include/kselftest_harness.h >&2
mkdir -p "$out/include"
cp "$top/build/include/ktap_helpers.sh" "$out/include/"

cflags=(-O2 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare
	-D_GNU_SOURCE -I"$top/include" -I"$top/lib" -I"$top/build/include" -pthread -Werror)
tflags=(-Wno-pointer-to-int-cast -Wno-format-overflow -Wno-misleading-indentation)
# Segments aligned for pages of up to 64K: armhf's ld aligns them to 4K
# only, and a 16K- or 64K-page arm64 kernel then cannot map a program
# whose segment offsets disagree with their addresses modulo its page
# size (SIGSEGV at exec).  aarch64's ld already defaults to 64K.
ldflags=(-Wl,-z,max-page-size=0x10000)

build_for() {	# TARGET SUFFIX EXAMPLES
	local target=$1 sfx=$2 examples=$3 env cc ar obj lib t n objs=()
	env=$("$here/cross.sh" "$target")
	eval "$env"
	cc=$CROSS_CC
	ar=$CROSS_PATH/${CROSS_COMPILE}ar
	obj=$out/obj$sfx lib=$out/lib$sfx
	mkdir -p "$obj" "$lib" "$out/tests$sfx"
	for f in "$top"/lib/rf_*.c; do
		n=$(basename "$f" .c)
		"$cc" "${cflags[@]}" -c -o "$obj/$n.o" "$f"
		objs+=("$obj/$n.o")
	done
	rm -f "$lib/librobustfutex.a"
	"$ar" rcs "$lib/librobustfutex.a" "${objs[@]}"
	for t in "$top"/tests/kselftest/t_*.c; do
		n=$(basename "$t" .c)
		[ "$n" = t_dlopen ] && continue
		echo "$cc ${cflags[*]} ${tflags[*]} ${ldflags[*]} -static -o $out/tests$sfx/$n $t $lib/librobustfutex.a"
	done | xargs -P "$jobs" -I{} sh -c '{}'
	# The examples that need no preload (examples/README.md).
	mkdir -p "$out/examples$sfx"
	for n in $examples; do
		"$cc" -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$top/include" -pthread \
			"${ldflags[@]}" -static -o "$out/examples$sfx/$n" "$top/examples/$n.c" "$lib/librobustfutex.a"
	done
}

# Named by its sources: nothing changed, nothing rebuilt.
hash=$(cd "$top" && cat "$0" lib/*.c lib/*.h include/robustfutex.h include/robustfutex/* \
	tests/kselftest/* examples/*.c build/include/kselftest*.h | sha1sum | cut -c1-12)
if [ "$(cat "$out/.built" 2>/dev/null)" != "$hash" ]; then
	rm -f "$out/.built"
	build_for aarch64 "" "emulator-guest-list shared-mutex"
	build_for armhf 32 "emulator-guest-list"
	echo "$hash" >"$out/.built"
fi
echo "$out"
