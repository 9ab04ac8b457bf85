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
#
# The source comes from `apt-get source` through an apt configuration of
# our own (a deb-src line for each Debian mirror and suite the host uses,
# state and cache under the cache directory): the host's /etc/apt is not
# touched.  Only the i386-linux-user target is configured, every optional
# feature off.  The build directory is $RF_CACHE/qemu-<hash>, <hash>
# covering the source version, the patch and the uapi header; the
# patched binary is an incremental rebuild of the stock one.
#
# Environment: RF_CACHE (default /var/cache/robustfutex), RF_JOBS (2).
# stdout carries only the directory; progress goes to stderr, the build
# output to $RF_CACHE/qemu-<hash>.log.
set -euo pipefail

# Bump when the recipe below changes in a way that needs a rebuild.
RECIPE=1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
patch=$top/contrib/qemu/robustfutex.patch
uapi=$top/include/robustfutex/ioctl.h
cache=${RF_CACHE:-/var/cache/robustfutex}
jobs=${RF_JOBS:-2}

say() { echo "build-qemu: $*" >&2; }
die() { say "error: $*"; exit 1; }
unset MAKEFLAGS MFLAGS MAKELEVEL GNUMAKEFLAGS
# Debian's python3 and meson, not whatever a user's PATH puts first.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

"$top/tests/deps.sh" build qemu
src=$(dpkg-query -W -f='${source:Package} ${source:Version}' qemu-system-x86) ||
	die "qemu-system-x86 is not installed"
read -r pkg ver <<<"$src"
hash=$({
	printf 'recipe=%s\n%s=%s\n' "$RECIPE" "$pkg" "$ver"
	cat "$patch" "$uapi"
} | sha256sum | cut -c1-12)
dir=$cache/qemu-$hash
log=$cache/qemu-$hash.log
stamp=$dir/.rf-build-complete

is_done() { [[ -e $stamp && -x $dir/qemu-i386 && -x $dir/qemu-i386-rf ]]; }
if is_done; then
	echo "$dir"
	exit 0
fi
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
say "building $pkg $ver for i386-linux-user in $dir (log: $log)"
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
(cd "$dir/build" && run ../src/configure --with-git-submodules=ignore \
	--target-list=i386-linux-user --without-default-features \
	--disable-docs --disable-tools --disable-werror --disable-install-blobs \
	--extra-cflags="-I$dir/include")
run nice -n 10 ninja -C "$dir/build" -j"$jobs" qemu-i386
cp "$dir/build/qemu-i386" "$dir/qemu-i386"
run patch -d "$dir/src" -p1 -i "$patch"
run nice -n 10 ninja -C "$dir/build" -j"$jobs" qemu-i386
cp "$dir/build/qemu-i386" "$dir/qemu-i386-rf"
rm -rf "$dir/src" "$dir/build" "$dir/include"

{
	echo "source=$pkg $ver"
	echo "build-seconds=$((SECONDS - start))"
	date -u +built=%Y-%m-%dT%H:%M:%SZ
} >"$stamp"
say "built in $((SECONDS - start))s"
echo "$dir"
