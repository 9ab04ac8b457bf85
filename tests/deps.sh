#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# deps.sh [-n] [GROUP...]: install, from Debian's packages, what the named
# groups of the build and the tests need (all of them when none is named).
# Idempotent: a no-op (one dpkg query per package) when all is present.
# Installing never removes a package: apt-get simulates first, and when
# it would remove one deps.sh says which and exits 1 having done nothing.
#
#   deps.sh --list      the groups and their packages
#   deps.sh -n GROUP    say what would be installed, install nothing
#
# The test kernels' headers and images are not installed but unpacked
# into a cache (tests/vm/kernel.sh).
set -euo pipefail

# name|what it is for|packages.  linux-source-6.12 is in "build": its
# kselftest headers and ktap_helpers.sh (tests/harness.sh) and its
# checkpatch.pl come from it.
groups=(
	"build|the module, librobustfutex and the tests, 64-bit|build-essential bc flex bison libelf-dev libssl-dev dwarves kmod rsync xz-utils linux-source-6.12"
	"lib32|the 32-bit library and tests|gcc-multilib"
	"tools|rfctl (libkmod)|pkg-config libkmod-dev"
	"vm|the test VMs (tests/vm/vm-run, kernel.sh, the trixie chroot)|qemu-system-x86 busybox-static cpio kmod zstd xz-utils rsync debootstrap"
	"arm64|the arm64 VMs (tests/vm/cross.sh, vm-run --arch arm64)|qemu-system-arm"
	"dkms|the DKMS build (tests/vm/dkms-build.sh)|dkms"
	"debug-kernel|the debug kernel (tests/vm/build-debug-kernel.sh)|linux-source-6.12 make gcc libc6-dev bc flex bison libelf-dev libssl-dev cpio xz-utils dwarves"
	"model|the protocol model (model/, spin)|spin"
	"glibc|glibc's own tests (tests/glibc/build.sh)|glibc-source xz-utils"
	"apps|the LMDB and tdb tortures (tests/preload/p_lmdb.c, p_tdb.c)|liblmdb-dev libtdb-dev"
	"qemu|QEMU linux-user, stock and patched (tests/vm/build-qemu.sh)|dpkg-dev patch meson ninja-build libglib2.0-dev python3"
	"bench|the benchmark and its report (tests/bench/)|gnuplot-nox python3 valgrind"
	"packages|the Debian packages and their test (debian/, tests/vm/deb-test.sh)|build-essential debhelper dh-dkms dpkg-dev gcc-multilib libkmod-dev pkg-config lintian debootstrap git"
	"man|the manual pages' check (tests/host/man-check.sh)|man-db groff-base"
)

usage() {
	echo "usage: deps.sh [-n] [GROUP...] | --list   (groups: $(names)all)" >&2
	exit 2
}
names() { local g; for g in "${groups[@]}"; do printf '%s ' "${g%%|*}"; done; }
# pkgs_of GROUP: its packages, or nothing if there is no such group.
pkgs_of() {
	local g
	for g in "${groups[@]}"; do
		[ "${g%%|*}" = "$1" ] && { echo "${g##*|}"; return 0; }
	done
	return 1
}

dry=
want=()
while [ $# -gt 0 ]; do
	case $1 in
	--list)
		for g in "${groups[@]}"; do
			IFS='|' read -r name what list <<<"$g"
			printf '%-13s %s\n%-13s   %s\n' "$name" "$what" "" "$list"
		done
		echo "all           every group above (also: no group named)"
		exit 0 ;;
	-n|--dry-run) dry=1 ;;
	-h|--help) sed -n '3,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
	all) read -ra want <<<"$(names)" ;;
	-*) usage ;;
	*) pkgs_of "$1" >/dev/null || { echo "deps.sh: no group '$1'" >&2; usage; }
	   want+=("$1") ;;
	esac
	shift
done
[ ${#want[@]} -gt 0 ] || read -ra want <<<"$(names)"

pkgs=()
for g in "${want[@]}"; do
	for p in $(pkgs_of "$g"); do
		[[ " ${pkgs[*]} " == *" $p "* ]] || pkgs+=("$p")
	done
done

missing=()
for p in "${pkgs[@]}"; do
	# Installed, not merely known (a removed package keeps its record).
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: ${want[*]}: missing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
# No recommends: dkms would otherwise pull a kernel image into /boot.
opts=(-y -qq --no-install-recommends)
[ -n "$dry" ] || $SUDO apt-get update -qq >&2
# Simulate first: an install that would remove anything is refused.
sim=$(apt-get -s "${opts[@]}" install "${missing[@]}" 2>&1) || {
	echo "$sim" | tail -n 20 >&2
	echo "deps.sh: apt-get cannot install ${missing[*]}" >&2
	exit 1
}
removed=$(sed -n 's/^Remv \([^ ]*\).*/\1/p' <<<"$sim" | paste -sd' ')
if [ -n "$removed" ]; then
	echo "deps.sh: refusing: installing ${missing[*]} would remove: $removed" >&2
	echo "deps.sh: install by hand what you can keep, then run deps.sh again" >&2
	exit 1
fi
if [ -n "$dry" ]; then
	grep '^Inst ' <<<"$sim" | sed 's/^/deps: would /' >&2
	exit 0
fi
$SUDO apt-get install "${opts[@]}" "${missing[@]}" >&2
