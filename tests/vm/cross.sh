#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# cross.sh aarch64|armhf: make Debian 12's gcc-12 cross compiler for the
# target ready in the cache and print, as shell assignments, what to use
# it with:
#
#   CROSS_ROOT     where it is unpacked ($RF_CACHE/cross-TARGET)
#   CROSS_PATH     its bin directory, to put first on PATH
#   CROSS_COMPILE  the tools' prefix (aarch64-linux-gnu-, arm-linux-gnueabihf-)
#   CROSS_CC       the C compiler, by full path
#
# Debian's gcc-aarch64-linux-gnu cannot be installed on a Debian 12 host
# that has gcc-multilib (they conflict, and apt would remove
# gcc-multilib), so the compiler, binutils and the *-cross libraries are
# fetched with `apt-get download` (tests/vm/foreign-apt.sh) and unpacked
# with dpkg -x: nothing is installed and no host package removed.  The
# host libraries the tools run on (libmpc3, libisl23, ...) must be
# installed; any missing is installed with apt-get after a simulation
# shows it removes nothing (else cross.sh stops, having done nothing).
# Idempotent: a second run only prints.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${RF_CACHE:-/var/cache/robustfutex}
case "${1:-}" in
aarch64|arm64)	triplet=aarch64-linux-gnu; darch=arm64; target=aarch64 ;;
armhf|arm)	triplet=arm-linux-gnueabihf; darch=armhf; target=armhf ;;
*)	echo "usage: cross.sh aarch64|armhf" >&2; exit 2 ;;
esac
ver=12
root=$cache/cross-$target
tapt() { "$here/foreign-apt.sh" "$@"; }

print() {
	echo "CROSS_ROOT=$root"
	echo "CROSS_PATH=$root/usr/bin"
	echo "CROSS_COMPILE=$triplet-"
	echo "CROSS_CC=$root/usr/bin/$triplet-gcc"
}
if [ -e "$root/.done" ]; then
	print
	exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/.cross-$target.lock"
flock 9
if [ -e "$root/.done" ]; then
	print
	exit 0
fi

# The toolchain's closure: what is built for the cross target (named after
# the triplet or the -cross libraries) is unpacked; anything else is a host
# library the tools run on.
ours() { [[ $1 == *-"$triplet" || $1 == *-"$triplet"-base || $1 == *-"$darch"-cross || $1 == gcc-*-cross-base ]]; }
# Breadth first, one apt-cache call a level.
level=("gcc-$ver-$triplet" "libc6-dev-$darch-cross")
seen=" " host=()
while [ ${#level[@]} -gt 0 ]; do
	ask=()
	for p in "${level[@]}"; do
		case "$seen" in *" $p "*) continue ;; esac
		seen="$seen$p "
		if ours "$p"; then ask+=("$p"); else host+=("$p"); fi
	done
	level=()
	[ ${#ask[@]} -gt 0 ] || break
	for q in $(tapt apt-cache depends --no-recommends --no-suggests "${ask[@]}" 2>/dev/null |
		   sed -n 's/^  *\(Pre\)\{0,1\}Depends: \([^ <>]*\).*/\2/p' | sed 's/:.*//' | sort -u); do
		level+=("$q")
	done
done

missing=()
for p in "${host[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	sim=$(apt-get -s -qq --no-install-recommends install "${missing[@]}" 2>&1) ||
		{ echo "$sim" >&2; echo "cross.sh: apt-get cannot install ${missing[*]}" >&2; exit 1; }
	if grep -q '^Remv' <<<"$sim"; then
		echo "cross.sh: installing ${missing[*]} would remove:" \
			"$(sed -n 's/^Remv \([^ ]*\).*/\1/p' <<<"$sim" | tr '\n' ' ')- nothing done" >&2
		exit 1
	fi
	echo "cross.sh: installing host libraries ${missing[*]}" >&2
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

pkgs=()
for p in $seen; do ours "$p" && pkgs+=("$p"); done
echo "cross.sh: unpacking ${pkgs[*]} into $root" >&2
rm -rf "$root.tmp" && mkdir -p "$root.tmp/dl"
(cd "$root.tmp/dl" && tapt apt-get download -q "${pkgs[@]}" >/dev/null)
for f in "$root.tmp/dl"/*.deb; do
	dpkg -x "$f" "$root.tmp"
done
rm -rf "$root.tmp/dl"
# binutils' tools need their libbfd and libopcodes, unpacked in
# usr/lib/x86_64-linux-gnu where the host's loader does not look: each
# such program is moved to usr/libexec/rf-cross and called through a
# script that points LD_LIBRARY_PATH there.
mkdir -p "$root.tmp/usr/libexec/rf-cross"
for f in "$root.tmp/usr/bin"/*; do
	[ -f "$f" ] && [ ! -L "$f" ] || continue
	LD_LIBRARY_PATH= ldd "$f" 2>/dev/null | grep -q 'not found' || continue
	b=$(basename "$f")
	mv "$f" "$root.tmp/usr/libexec/rf-cross/$b"
	cat >"$f" <<WRAP
#!/bin/sh
d=\$(dirname "\$(readlink -f "\$0")")/..
LD_LIBRARY_PATH=\$d/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} exec "\$d/libexec/rf-cross/$b" "\$@"
WRAP
	chmod 755 "$f"
done
# The unversioned names the kernel's and our Makefiles call.
for t in gcc cpp gcc-ar gcc-nm gcc-ranlib gcov; do
	[ -e "$root.tmp/usr/bin/$triplet-$t-$ver" ] &&
		ln -sf "$triplet-$t-$ver" "$root.tmp/usr/bin/$triplet-$t"
done
# Check it: a static program and an object, before it is called ready.
printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' >"$root.tmp/t.c"
if ! "$root.tmp/usr/bin/$triplet-gcc" -static -O2 -o "$root.tmp/t" "$root.tmp/t.c" >"$root.tmp/t.log" 2>&1; then
	cat "$root.tmp/t.log" >&2
	echo "cross.sh: the unpacked $triplet-gcc cannot link a static program" >&2
	exit 1
fi
rm -f "$root.tmp/t" "$root.tmp/t.c" "$root.tmp/t.log"
rm -rf "$root"
mv "$root.tmp" "$root"
touch "$root/.done"
print
