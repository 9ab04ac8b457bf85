#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what building and testing robustfutex needs, from Debian's
# packages.  Idempotent: a no-op (one dpkg query) when all is present.
# The test kernels' headers and images are not installed but unpacked
# into a cache (tests/vm/kernel.sh).
set -euo pipefail

pkgs=(
	build-essential gcc-multilib pkg-config bc flex bison libelf-dev
	libssl-dev cpio xz-utils zstd dwarves rsync kmod libkmod-dev
	busybox-static qemu-system-x86 dkms debootstrap
	linux-source-6.12
	spin gnuplot-nox python3 valgrind
	dpkg-dev patch meson ninja-build libglib2.0-dev
	glibc-source liblmdb-dev libtdb-dev
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
# No recommends: dkms would otherwise pull a kernel image into /boot.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
