#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build (once, cached) a small debug kernel from Debian's linux-source-6.12
# for booting in QEMU/TCG and for building the out-of-tree module against:
#
#   dir=$(tests/vm/build-debug-kernel.sh)        # path is the last stdout line
#   make -C "$dir" M="$PWD/module" modules
#   qemu-system-x86_64 -kernel "$dir/arch/x86/boot/bzImage" ...
#
# The kernel config is `make tinyconfig` + tests/vm/debug-kernel.config
# (KASAN, lockdep, kmemleak, UBSAN, tracepoints, ...).  The build directory is
# $RF_CACHE/debug-<hash>, <hash> covering the fragment and the linux-source
# package version, so editing the fragment or upgrading the package gives a
# fresh build and an unchanged setup costs nothing.
#
# Environment:
#   RF_CACHE   cache root (default /var/cache/robustfutex)
#   RF_JOBS    make -j value (default 2)
#
# stdout carries only the build directory path; progress goes to stderr and
# the build output to $RF_CACHE/debug-<hash>.log.
set -euo pipefail

# Bump when the build recipe below changes in a way that needs a rebuild.
RECIPE=1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
frag=$here/debug-kernel.config
cache=${RF_CACHE:-/var/cache/robustfutex}
jobs=${RF_JOBS:-2}
pkg=linux-source-6.12
tarball=/usr/src/linux-source-6.12.tar.xz

say() { echo "build-debug-kernel: $*" >&2; }
die() { say "error: $*"; exit 1; }

# Do not inherit a parent make's jobserver/flags.
unset MAKEFLAGS MFLAGS MAKELEVEL GNUMAKEFLAGS

[[ -r $frag ]] || die "missing config fragment $frag"
[[ $(uname -m) == x86_64 ]] || die "x86_64 host required (got $(uname -m))"

# --- packages ---------------------------------------------------------------
"$here/../deps.sh" debug-kernel
[[ -r $tarball ]] || die "$tarball not found after installing $pkg"

ver=$(dpkg-query -W -f='${Version}' "$pkg")
# Only the option lines count: editing comments does not force a rebuild.
hash=$({
	printf 'recipe=%s\n%s=%s\n' "$RECIPE" "$pkg" "$ver"
	grep -E '^(CONFIG_|# CONFIG_[A-Za-z0-9_]+ is not set)' "$frag"
} | sha256sum | cut -c1-12)
dir=$cache/debug-$hash
log=$cache/debug-$hash.log
stamp=$dir/.rf-build-complete

is_done() {
	[[ -e $stamp && -s $dir/arch/x86/boot/bzImage && -s $dir/Module.symvers &&
		-s $dir/kernelrelease ]]
}

if is_done; then
	say "cached: $dir ($(cat "$dir/kernelrelease"))"
	echo "$dir"
	exit 0
fi

mkdir -p "$cache"
# Serialise concurrent invocations (unpacking and building share the cache).
exec 9>"$cache/.build-debug-kernel.lock"
if command -v flock >/dev/null; then
	flock 9
fi
if is_done; then # somebody else finished it while we waited
	say "cached: $dir ($(cat "$dir/kernelrelease"))"
	echo "$dir"
	exit 0
fi

: >"$log"
fail() {
	say "FAILED: $* (log: $log); last lines:"
	tail -n 60 "$log" >&2 || true
	exit 1
}
run() {
	echo "+ $*" >>"$log"
	"$@" >>"$log" 2>&1 </dev/null || fail "$*"
}

# --- source -------------------------------------------------------------------
srcdir=$cache/src/$pkg-$(printf '%s' "$ver" | tr -c 'A-Za-z0-9._+-' '_')
if [[ ! -e $srcdir/Makefile ]]; then
	say "unpacking $tarball ($ver)"
	mkdir -p "$cache/src"
	rm -rf "$srcdir" "$cache"/src/.unpack.* # leftovers of an interrupted run
	tmp=$(mktemp -d "$cache/src/.unpack.XXXXXX")
	run tar -C "$tmp" -xJf "$tarball"
	[[ -e $tmp/$pkg/Makefile ]] || fail "unexpected tarball layout"
	mv "$tmp/$pkg" "$srcdir"
	rmdir "$tmp"
fi

# --- configure ------------------------------------------------------------------
start=$SECONDS
say "building debug kernel in $dir (log: $log); takes several minutes"
mkdir -p "$dir"
rm -f "$stamp"
kmake() { run make -C "$srcdir" O="$dir" "$@"; }

kmake tinyconfig
run "$srcdir/scripts/kconfig/merge_config.sh" -m -O "$dir" "$dir/.config" "$frag"
kmake olddefconfig

# Kconfig silently drops options whose dependencies are unmet: check that
# every line of the fragment made it into the final .config.
bad=()
while IFS= read -r line; do
	if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
		grep -qxF -- "$line" "$dir/.config" || bad+=("$line")
	elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		! grep -q "^${BASH_REMATCH[1]}=" "$dir/.config" || bad+=("$line")
	fi
done <"$frag"
if ((${#bad[@]})); then
	for line in "${bad[@]}"; do
		sym=${line#\# }
		sym=${sym%%[= ]*}
		got=$(grep -E "^(# )?${sym}[= ]" "$dir/.config" || echo "(absent)")
		echo "config mismatch: wanted '$line', got '$got'" >>"$log"
	done
	fail "${#bad[@]} fragment option(s) did not stick: ${bad[*]}"
fi

# --- build ----------------------------------------------------------------------
# `modules` runs modules_prepare and modpost, giving Module.symvers (vmlinux
# exports), which external module builds need.
kmake -j"$jobs" bzImage modules
make -s -C "$srcdir" O="$dir" kernelrelease 2>>"$log" >"$dir/kernelrelease" ||
	fail "make kernelrelease"
[[ -s $dir/arch/x86/boot/bzImage ]] || fail "no bzImage produced"
[[ -s $dir/Module.symvers ]] || fail "no Module.symvers produced"

{
	echo "linux-source=$ver"
	echo "fragment-hash=$hash"
	echo "kernelrelease=$(cat "$dir/kernelrelease")"
	echo "build-seconds=$((SECONDS - start))"
	date -u +built=%Y-%m-%dT%H:%M:%SZ
} >"$stamp"
say "built $(cat "$dir/kernelrelease") in $((SECONDS - start))s"
echo "$dir"
