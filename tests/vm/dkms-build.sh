#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dkms-build.sh [--arch arm64] [-o DIR] KERNEL...: add this tree to DKMS
# and build the module for each test kernel (names as kernel.sh takes
# them), against headers unpacked in the cache; prints "KREL PATH-TO-KO"
# per kernel.  Nothing is installed into /lib/modules: the VM runner loads
# the built file.  With -o (one kernel), the module is also copied into DIR.
#
# --arch arm64: Debian 12's arm64 kernels, built by the host's DKMS with
# "-a aarch64" and cross.sh's compiler, in a private DKMS tree and source
# tree under the cache (an arm64 user's DKMS runs the same make natively).
#
# Debian 12's kernels are built by the host's DKMS, in a DKMS tree and
# source tree of our own under the cache (dkms-amd64/, dkms-arm64/): the
# host's /usr/src and /var/lib/dkms, where its owner may have installed
# this very module, are neither read nor changed.  A trixie kernel's
# (kernel.sh gives KCHROOT) by the DKMS of the Debian 13 chroot, where its
# headers are installed, as a trixie user's DKMS would: the tree is copied
# to the chroot's /usr/src.  One build at a time holds each DKMS tree.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${RF_CACHE:-/var/cache/robustfutex}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
out= karch=()
if [ "${1:-}" = --arch ]; then
	[ "$2" = arm64 ] || { echo "dkms-build: --arch arm64 only" >&2; exit 2; }
	karch=(--arch arm64); shift 2
fi
[ "${1:-}" = -o ] && { out=$2; shift 2; }
files=("$top/Kbuild" "$top/Makefile" "$top/dkms.conf" "$top/module" "$top/include")
log=$(mktemp "${TMPDIR:-/tmp}/rf-dkms.XXXXXX")
trap 'rm -f "$log"' EXIT

# Cross: kbuild takes ARCH and CROSS_COMPILE from the environment DKMS
# passes to its MAKE line.
trees=$cache/dkms-amd64 xarch=()
if [ ${#karch[@]} -gt 0 ]; then
	eval "$("$here/cross.sh" aarch64)"
	export PATH=$CROSS_PATH:$PATH ARCH=arm64 CROSS_COMPILE
	trees=$cache/dkms-arm64
	xarch=(-a aarch64)	# not with "remove --all", which refuses it
fi
src=$trees/src dtree=$trees/tree
mkdir -p "$src" "$dtree"
dkms=(dkms --sourcetree "$src" --dkmstree "$dtree")

host_added=
for k in "$@"; do
	KCHROOT=
	eval "$("$here/kernel.sh" "${karch[@]}" --headers "$k" | grep -E '^(KREL|KDIR|KCHROOT)=')"
	krel=$KREL
	if [ -n "$KCHROOT" ]; then
		exec 8>"$cache/.trixie-dkms.lock"
		flock 8
		rsync -a --delete "${files[@]}" "$KCHROOT/usr/src/robustfutex-$ver/"
		mtree=$KCHROOT/var/lib/dkms/robustfutex/$ver/$krel
		if ! "$here/trixie-chroot.sh" run sh -c "
			dkms remove robustfutex/$ver --all >/dev/null 2>&1 || true
			dkms add robustfutex/$ver >/dev/null &&
			dkms build robustfutex/$ver -k '$krel' --force" >"$log" 2>&1; then
			cat "$log" >&2
			find "$KCHROOT/var/lib/dkms/robustfutex" -name make.log -exec cat {} + >&2
			exit 1
		fi
	else
		if [ -z "$host_added" ]; then
			exec 9>"$trees.lock"
			flock 9
			mkdir -p "$src/robustfutex-$ver"
			rsync -a --delete "${files[@]}" "$src/robustfutex-$ver/"
			"${dkms[@]}" remove "robustfutex/$ver" --all >/dev/null 2>&1 || true
			"${dkms[@]}" add "robustfutex/$ver" >/dev/null
			host_added=1
		fi
		mtree=$dtree/robustfutex/$ver/$krel
		if ! "${dkms[@]}" ${xarch[@]+"${xarch[@]}"} build "robustfutex/$ver" -k "$krel" \
			--kernelsourcedir "$KDIR" --force >"$log" 2>&1; then
			cat "$log" >&2
			find "$dtree/robustfutex" -name make.log -exec cat {} + >&2
			exit 1
		fi
	fi
	ko=$(find "$mtree" -name 'robustfutex.ko*' | head -n 1)
	[ -n "$ko" ] || { echo "dkms-build: no module built for $krel" >&2; exit 1; }
	if [ -n "$out" ]; then
		mkdir -p "$out"
		cp "$ko" "$out/"
	fi
	exec 8>&-
	echo "$krel $ko"
done
