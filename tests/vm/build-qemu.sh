#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build (once, cached) QEMU's i386 linux-user emulator from Debian's source
# of the QEMU the test VMs run on, twice: as Debian ships it and with our
# patch (contrib/qemu/robustfutex.patch: the guest's robust list and futex
# waits go through /dev/robustfutex).
#
#   dir=$(tests/vm/build-qemu.sh)      # path is the last stdout line
#   $dir/qemu-i386 ...              # stock
#   $dir/qemu-i386-rf ...           # patched
#   dir=$(tests/vm/build-qemu.sh --arch arm64)  # the same, static aarch64
#
# The source comes from `apt-get source` through an apt configuration of
# our own (a deb-src line for each Debian mirror and suite the host uses,
# state and cache under the cache directory): the host's /etc/apt is not
# touched.  Only the i386-linux-user target is configured, every optional
# feature off.  The build directory is $RF_CACHE/qemu-<hash>, <hash>
# covering the source version, the patch and the uapi header; the
# patched binary is an incremental rebuild of the stock one.
#
# --arch arm64: the same source and patch, the same target, built for an
# arm64 host (FEX-Emu's case: arm64 gives a 64-bit process no compat
# set_robust_list) with the cross compiler of tests/vm/cross.sh, linked
# static: the arm64 test guest has no C library.  The arm64 libraries
# it links (glib, pcre2, zlib: Debian 12's -dev packages, which carry
# the .a files) are fetched with tests/vm/foreign-apt.sh and unpacked
# into a private sysroot; a pkg-config wrapper points at it, and QEMU's
# configure writes the meson cross file from --cross-prefix.  Nothing is
# installed on the host.
# Cached in $RF_CACHE/qemu-arm64-<hash>.  --cached prints the directory
# if that build is complete and exits 1, building nothing, if not.
#
# Environment: RF_CACHE (default /var/cache/robustfutex), RF_JOBS (2).
# stdout carries only the directory; progress goes to stderr, the build
# output to $RF_CACHE/qemu-<hash>.log.
set -euo pipefail

# Bump when the recipe below changes in a way that needs a rebuild.
RECIPE=1
# The same for the arm64 recipe only (the x86 one's hash is unchanged).
RECIPE_ARM64=1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
patch=$top/contrib/qemu/robustfutex.patch
uapi=$top/include/robustfutex/ioctl.h
cache=${RF_CACHE:-/var/cache/robustfutex}
jobs=${RF_JOBS:-2}

say() { echo "build-qemu: $*" >&2; }
die() { say "error: $*"; exit 1; }
arch='' cached=''
while [ $# -gt 0 ]; do
	case "$1" in
	--arch)		arch=$2; shift 2 ;;
	--cached)	cached=1; shift ;;
	*)		die "unknown option $1 (--arch amd64|arm64, --cached)" ;;
	esac
done
case "$arch" in
''|amd64|x86_64) arch= ;;
arm64|aarch64) arch=arm64 ;;
*) die "unknown arch '$arch' (amd64, arm64)" ;;
esac
unset MAKEFLAGS MFLAGS MAKELEVEL GNUMAKEFLAGS
# Debian's python3 and meson, not whatever a user's PATH puts first.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

"$top/tests/deps.sh" build qemu
src=$(dpkg-query -W -f='${source:Package} ${source:Version}' qemu-system-x86) ||
	die "qemu-system-x86 is not installed"
read -r pkg ver <<<"$src"
hash=$({
	printf 'recipe=%s\n%s=%s\n' "$RECIPE" "$pkg" "$ver"
	[ -z "$arch" ] || printf 'arch=%s recipe=%s\n' "$arch" "$RECIPE_ARM64"
	cat "$patch" "$uapi"
} | sha256sum | cut -c1-12)
dir=$cache/qemu-${arch:+$arch-}$hash
log=$cache/qemu-${arch:+$arch-}$hash.log
stamp=$dir/.rf-build-complete

is_done() { [[ -e $stamp && -x $dir/qemu-i386 && -x $dir/qemu-i386-rf ]]; }
if is_done; then
	echo "$dir"
	exit 0
fi
[ -z "$cached" ] || exit 1
mkdir -p "$cache"
exec 9>"$cache/.build-qemu.lock"
flock 9
if is_done; then
	echo "$dir"
	exit 0
fi

: >"$log"
fail() {
	say "FAILED: $* (log: $log); last lines:"
	tail -n 40 "$log" >&2 || true
	exit 1
}
run() {
	echo "+ $*" >>"$log"
	"$@" >>"$log" 2>&1 </dev/null || fail "$*"
}
start=$SECONDS
say "building $pkg $ver for i386-linux-user${arch:+ on $arch} in $dir (log: $log)"
rm -rf "$dir"
mkdir -p "$dir"

# --- source, through a private apt configuration ------------------------------
apt=$cache/qemu-apt
mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial"
apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(ORIGIN)' \
	'Created-By: Packages' | awk '$3 == "main" && $4 == "Debian" { print $1, $2 }' |
	sort -u | while read -r uri suite; do
		echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main"
	done >"$apt/sources.list"
[[ -s $apt/sources.list ]] || die "no Debian mirror found in the host's apt sources"
aptopts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
	-o Dir::State="$apt/state" -o Dir::Cache="$apt/cache" -o APT::Sandbox::User=root)
run apt-get "${aptopts[@]}" update
mkdir -p "$dir/dl"
(cd "$dir/dl" && run apt-get "${aptopts[@]}" source --download-only "$pkg=$ver")
run dpkg-source -x "$dir/dl/${pkg}_${ver#*:}.dsc" "$dir/src"
rm -rf "$dir/dl"

# --- stock, then patched --------------------------------------------------------
# The module's header is copied in, so both builds see the same flags and
# the patched one recompiles only what the patch touches.
mkdir -p "$dir/include/robustfutex" "$dir/build"
cp "$uapi" "$dir/include/robustfutex/"
xconf=()
if [ "$arch" = arm64 ]; then
	# The cross compiler (its own directory first on PATH), and the arm64
	# libraries QEMU links, unpacked into $dir/sysroot.
	eval "$("$here/cross.sh" aarch64)"
	PATH=$CROSS_PATH:$PATH
	sysroot=$dir/sysroot
	mkdir -p "$sysroot/dl"
	(cd "$sysroot/dl" && run "$here/foreign-apt.sh" apt-get download \
		libglib2.0-dev:arm64 libpcre2-dev:arm64 zlib1g-dev:arm64)
	for f in "$sysroot/dl"/*.deb; do
		run dpkg -x "$f" "$sysroot"
	done
	rm -rf "$sysroot/dl"
	[ -e "$sysroot/usr/lib/aarch64-linux-gnu/libglib-2.0.a" ] ||
		fail "no arm64 libglib-2.0.a in the sysroot"
	# pkg-config for the sysroot: its .pc files only, their paths under it.
	mkdir -p "$dir/bin"
	cat >"$dir/bin/pkg-config" <<-EOF
	#!/bin/sh
	PKG_CONFIG_LIBDIR=$sysroot/usr/lib/aarch64-linux-gnu/pkgconfig:$sysroot/usr/share/pkgconfig \\
	PKG_CONFIG_SYSROOT_DIR=$sysroot exec /usr/bin/pkg-config "\$@"
	EOF
	chmod 755 "$dir/bin/pkg-config"
	export PKG_CONFIG=$dir/bin/pkg-config
	# Static without PIE: the unpacked toolchain links only statically
	# (its libc.so script names /usr/aarch64-linux-gnu, absent here), and
	# configure's first test links before --static applies.  The sysroot's
	# include and lib directories are given too: pkg-config drops
	# /usr/include from zlib's flags as a system directory.
	xconf=(--cross-prefix="$CROSS_COMPILE" --static --disable-pie
		--extra-ldflags="-static -L$sysroot/usr/lib/aarch64-linux-gnu")
fi
(cd "$dir/build" && run ../src/configure --with-git-submodules=ignore \
	--target-list=i386-linux-user --without-default-features \
	--disable-docs --disable-tools --disable-werror --disable-install-blobs \
	--extra-cflags="-I$dir/include${arch:+ -I$dir/sysroot/usr/include}" ${xconf[@]+"${xconf[@]}"})
run nice -n 10 ninja -C "$dir/build" -j"$jobs" qemu-i386
cp "$dir/build/qemu-i386" "$dir/qemu-i386"
run patch -d "$dir/src" -p1 -i "$patch"
run nice -n 10 ninja -C "$dir/build" -j"$jobs" qemu-i386
cp "$dir/build/qemu-i386" "$dir/qemu-i386-rf"
if [ "$arch" = arm64 ]; then
	# An aarch64 executable with no program interpreter, or nothing.
	for b in qemu-i386 qemu-i386-rf; do
		hdr=$("${CROSS_COMPILE}readelf" -hl "$dir/$b")
		if ! grep -q 'Machine:.*AArch64' <<<"$hdr" || grep -q 'INTERP' <<<"$hdr"; then
			fail "$b is not a static aarch64 executable"
		fi
	done
	rm -rf "${dir:?}/sysroot" "${dir:?}/bin"
fi
rm -rf "$dir/src" "$dir/build" "$dir/include"

{
	echo "source=$pkg $ver"
	[ -z "$arch" ] || echo "arch=$arch"
	echo "build-seconds=$((SECONDS - start))"
	date -u +built=%Y-%m-%dT%H:%M:%SZ
} >"$stamp"
say "built in $((SECONDS - start))s"
echo "$dir"
