#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# deb-test.sh [--no-vm]: the build and the Debian packages, end to end, as
# TAP ("ok N - ...", the plan last).
#
#   - `make` in a clean Debian 12 chroot: debootstrap minbase, then only
#     build-essential and the headers of Debian 12's kernel (the one
#     `tests/vm/kernel.sh 6.1` resolves): the module and the 64-bit library;
#     there, with DKMS added, make install/uninstall, and dkms-install
#     after a plain install (one copy of the module, nothing left after);
#   - the packages, built on the host with dpkg-buildpackage -b into
#     build/deb/, and lintian's verdict on them (errors fail);
#   - `apt install ./*.deb` in a throwaway copy of that chroot, where DKMS
#     builds and installs the module for that kernel; what the packages
#     installed is checked there (modinfo, rfctl, a program built with
#     pkg-config, 64- and 32-bit, the 32-bit library, man pages), then
#     `apt purge` must
#     leave nothing behind;
#   - the module DKMS built, loaded in QEMU on that kernel: tests/vm/vm-run
#     --kernel 6.1 --ko build/deb/KREL/robustfutex.ko -- /rf/tests/t_basic
#     (skipped with --no-vm).  RF_VM_LOCK, as for tests/run-all: a lock
#     file the VM run holds, shared with other VM users of this machine.
#
# The chroot is made once (1 to 2 minutes) in $RF_CACHE/bookworm-chroot
# and kept; each run works on an overlay of it, gone when the run ends,
# and downloaded packages are kept in $RF_CACHE/bookworm-debs.  A new
# kernel release's headers are installed into the chroot once.  Logs:
# build/deb/*.log.  The host needs what the packages build with (debhelper,
# dh-dkms, gcc-multilib, libkmod-dev, pkg-config) and lintian: installed
# from Debian's packages when missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${RF_CACHE:-/var/cache/robustfutex}
mirror=http://deb.debian.org/debian
# Bump when what the chroot is made with changes.
RECIPE=1
base=$cache/bookworm-chroot
vm=1
case "${1:-}" in
--no-vm) vm= ;;
"") ;;
-h|--help) sed -n '2,29s/^# \{0,1\}//p' "$0"; exit 0 ;;
*) echo "deb-test: unknown option $1" >&2; exit 2 ;;
esac

# Everything mounted here (overlays, /proc) is in a mount namespace of
# this run's own: nothing stays mounted when it ends, however it ends.
if [ -z "${RF_DEBTEST_NS:-}" ]; then
	RF_DEBTEST_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi

out=$top/build/deb
mkdir -p "$out" "$cache"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rf-deb.XXXXXX")
trap 'umount -R "$tmp"/*/root 2>/dev/null || true; rm -rf "$tmp"' EXIT
start=$SECONDS
# KTAP through the kernel's ktap_helpers.sh (tests/harness.sh).
"$top/tests/harness.sh" "$tmp/ktap" >/dev/null ||
	{ echo "not ok 1 deb-test: tests/harness.sh failed"; exit 1; }
. "$tmp/ktap/ktap_helpers.sh"
ktap_print_header
# The helpers echo a description unquoted: no file name globbing of it.
ok()  { set -f; ktap_test_pass "$*"; set +f; }
nok() { set -f; ktap_test_fail "$*"; set +f; }
skip() { set -f; ktap_test_skip "$*"; set +f; }
plan() { ktap_set_plan $((KTAP_CNT_PASS + KTAP_CNT_FAIL + KTAP_CNT_SKIP)); }
note() { sed 's/^/#   /'; }
# check DESCRIPTION LOG CMD...: run CMD with its output in LOG; on failure
# show LOG's last lines.
check() {
	local d=$1 log=$2; shift 2
	if "$@" >"$log" 2>&1; then ok "$d"; else nok "$d"; tail -n 25 "$log" | note; fi
}
bail() { echo "Bail out! $*"; exit 1; }

# ---- the host's build dependencies ------------------------------------------
"$top/tests/deps.sh" packages >&2 || bail "tests/deps.sh packages failed"

# ---- the kernel, and the chroot ---------------------------------------------
eval "$("$here/kernel.sh" --headers 6.1 | grep -E '^(KREL|KPKGVER)=')"
echo "# kernel: $KREL ($KPKGVER)"

in_base() { chroot "$base" "$@"; }
exec 9>"$cache/.bookworm-chroot.lock"
flock 9
if [ "$(cat "$base/.rf-recipe" 2>/dev/null)" != "$RECIPE" ]; then
	echo "# creating $base (debootstrap bookworm, minbase)"
	t=$SECONDS
	rm -rf "$base" "$base.tmp"
	debootstrap --variant=minbase bookworm "$base.tmp" "$mirror" \
		>"$cache/bookworm-chroot.log" 2>&1 ||
		{ tail -n 20 "$cache/bookworm-chroot.log" | note; bail "debootstrap failed"; }
	key=/usr/share/keyrings/debian-archive-keyring.gpg
	cat >"$base.tmp/etc/apt/sources.list" <<-EOF
		deb [signed-by=$key] $mirror bookworm main
		deb [signed-by=$key] $mirror bookworm-updates main
		deb [signed-by=$key] http://deb.debian.org/debian-security bookworm-security main
	EOF
	# Nothing to start in a chroot; no recommends, as a server would
	# have it (dkms recommends a kernel image).
	printf '#!/bin/sh\nexit 101\n' >"$base.tmp/usr/sbin/policy-rc.d"
	chmod +x "$base.tmp/usr/sbin/policy-rc.d"
	echo 'APT::Install-Recommends "false";' >"$base.tmp/etc/apt/apt.conf.d/90rf"
	cp /etc/resolv.conf "$base.tmp/etc/resolv.conf" 2>/dev/null || true
	{ chroot "$base.tmp" apt-get -qq update &&
	  DEBIAN_FRONTEND=noninteractive chroot "$base.tmp" apt-get -y -qq install build-essential &&
	  chroot "$base.tmp" apt-get clean; } >>"$cache/bookworm-chroot.log" 2>&1 ||
		{ tail -n 20 "$cache/bookworm-chroot.log" | note; bail "building the chroot failed"; }
	echo "$RECIPE" >"$base.tmp/.rf-recipe"
	mv "$base.tmp" "$base"
	echo "# chroot created in $((SECONDS - t))s"
fi
# The kernel's headers, installed with the chroot's own apt (they bring no
# image); an older release's are purged, so the chroot holds one.
if [ "$(in_base dpkg-query -W -f='${Status} ${Version}' "linux-headers-$KREL" 2>/dev/null)" != \
     "install ok installed $KPKGVER" ]; then
	echo "# installing linux-headers-$KREL=$KPKGVER in the chroot"
	export DEBIAN_FRONTEND=noninteractive
	{ in_base apt-cache show "linux-headers-$KREL=$KPKGVER" >/dev/null 2>&1 ||
		in_base apt-get -qq update
	  in_base apt-get -y -qq install "linux-headers-$KREL=$KPKGVER"
	  old=$(in_base dpkg-query -W -f='${Package}\n' 'linux-headers-*' |
		grep -vxF -e "linux-headers-$KREL" -e "linux-headers-${KREL%-amd64}-common" || true)
	  [ -z "$old" ] || in_base apt-get -y -qq purge $old
	  in_base apt-get clean; } >>"$cache/bookworm-chroot.log" 2>&1 ||
		{ tail -n 20 "$cache/bookworm-chroot.log" | note; bail "installing linux-headers-$KREL failed"; }
fi
flock -u 9
# (A run holds no lock past this point: the base is only read, through
# overlays, and changes only when a kernel release or the recipe does.)

# overlay NAME: a writable copy of the chroot at $tmp/NAME/root, with /proc
# and the shared package cache mounted; prints the root.
overlay() {
	local d=$tmp/$1
	mkdir -p "$d/upper" "$d/work" "$d/root" "$cache/bookworm-debs/partial"
	mount -t overlay overlay -o "lowerdir=$base,upperdir=$d/upper,workdir=$d/work" "$d/root"
	mount -t proc proc "$d/root/proc"
	mount --bind "$cache/bookworm-debs" "$d/root/var/cache/apt/archives"
	echo "$d/root"
}

# copy_tree DIR: the tree's files (tracked and new, not ignored: no build/,
# no objects), as they are in the working tree, into DIR.
copy_tree() {
	mkdir -p "$1"
	(cd "$top" && git ls-files -z -co --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -C "$1" -xf -
}

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")

# ---- 1. make, with build-essential and the headers only ----------------------
# In the background, beside the package build on the host.
mroot=$(overlay make)
copy_tree "$mroot/tmp/rf"
(
	set +e
	{
		echo "== installed in the chroot besides minbase:"
		chroot "$mroot" dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' \
			build-essential gcc-multilib libkmod-dev 'linux-source*' 'linux-headers-*' 2>/dev/null |
			awk '$1 == "ii" { print $2 }'
		chroot "$mroot" make -C /tmp/rf -j2 KVER="$KREL"
	} >"$out/make.log" 2>&1
	echo $? >"$tmp/make.rc"
) &
make_pid=$!

# ---- 2. the packages ---------------------------------------------------------
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
src=$tmp/src/robustfutex-$ver
copy_tree "$src"
t=$SECONDS
if (cd "$src" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
	mv "$tmp"/src/*.deb "$tmp"/src/*.changes "$tmp"/src/*.buildinfo "$out/"
	built=1
else
	built=
fi
build_s=$((SECONDS - t))

wait "$make_pid" || true
mrc=$(cat "$tmp/make.rc" 2>/dev/null || echo 1)
extra=$(sed -n '2,/^make/p' "$out/make.log" | grep -E '^(gcc-multilib|libkmod-dev|linux-source)' || true)
if [ "$mrc" = 0 ] && [ -e "$mroot/tmp/rf/robustfutex.ko" ] &&
   [ -e "$mroot/tmp/rf/build/lib/librobustfutex.so" ] && [ -e "$mroot/tmp/rf/build/lib/librobustfutex.a" ] &&
   [ -z "$extra" ] && ! grep -qi 'warning:' "$out/make.log"; then
	ok "make in a clean Debian 12 chroot (build-essential, linux-headers-$KREL): module and 64-bit library, no warning"
else
	nok "make in a clean Debian 12 chroot (build-essential, linux-headers-$KREL)"
	[ -z "$extra" ] || echo "$extra" | sed 's/^/# not supposed to be there: /'
	grep -iE 'warning:|error' "$out/make.log" | head -n 10 | note
	tail -n 10 "$out/make.log" | note
fi

# make install and uninstall, then dkms-install against a plain install,
# in the same chroot, with DKMS (and kmod's depmod) added.
mk() { chroot "$mroot" make -C /tmp/rf --no-print-directory KVER="$KREL" "$@"; }
# What an install may touch; depmod's indexes stay, as with any module.
tree_list() {
	chroot "$mroot" sh -c 'find /usr/local /lib/modules /usr/src /var/lib/dkms \
		/etc/modprobe.d /etc/modules-load.d 2>/dev/null' |
		grep -vE '^/lib/modules/[^/]+/modules\.' | sort
}
plain_install() {
	local before f
	chroot "$mroot" env DEBIAN_FRONTEND=noninteractive apt-get -y -qq install dkms || return 1
	before=$(tree_list)
	mk install || return 1
	for f in "/lib/modules/$KREL/extra/robustfutex.ko" /usr/local/lib/librobustfutex.so.0 \
		 /usr/local/include/robustfutex.h /usr/local/include/robustfutex/ioctl.h \
		 /usr/local/lib/pkgconfig/robustfutex.pc \
		 /usr/local/share/doc/robustfutex/examples/modprobe.d/robustfutex.conf; do
		[ -e "$mroot$f" ] || { echo "not installed: $f"; return 1; }
	done
	chroot "$mroot" modinfo -k "$KREL" -n robustfutex | grep -x "/lib/modules/$KREL/extra/robustfutex.ko" ||
		{ echo "depmod did not index it"; return 1; }
	mk uninstall || return 1
	[ "$(tree_list)" = "$before" ] || { echo "uninstall left:"; diff <(echo "$before") <(tree_list); return 1; }
	echo "$before" >"$tmp/tree0"
}
one_copy() {
	local o
	mk install || return 1
	o=$(mk dkms-install 2>&1) || { echo "$o"; return 1; }
	echo "$o"
	grep -q "removing /lib/modules/$KREL/extra/robustfutex.ko" <<<"$o" &&
		[ ! -e "$mroot/lib/modules/$KREL/extra/robustfutex.ko" ] ||
		{ echo "dkms-install left make install's copy"; return 1; }
	chroot "$mroot" dkms status -m robustfutex -k "$KREL" | grep -q ': installed' || return 1
	if mk install; then echo "make install did not refuse"; return 1; fi
	mk dkms-uninstall && mk uninstall || return 1
	[ "$(tree_list)" = "$(cat "$tmp/tree0")" ] ||
		{ echo "left:"; diff "$tmp/tree0" <(tree_list); return 1; }
}
if [ "$mrc" = 0 ]; then
	check "make install, make uninstall: files installed, then none left" "$out/install.log" plain_install
	if [ -e "$tmp/tree0" ]; then
		check "make dkms-install removes make install's copy, make install then refuses; dkms-uninstall, uninstall: none left" \
			"$out/dkms-install.log" one_copy
	else
		nok "make dkms-install: not tried (make install failed)"
	fi
else
	nok "make install: not tried (make failed)"
	nok "make dkms-install: not tried (make failed)"
fi
umount -R "$mroot"

# dkms.conf, the module's RF_VERSION and debian/changelog say one version.
cl=$(cd "$top" && dpkg-parsechangelog -S Version)
kv=$(sed -n 's/^#define RF_VERSION "\(.*\)"/\1/p' "$top/module/main.c")
if [ "$cl" = "$ver" ] && [ "$kv" = "$ver" ]; then
	ok "one version: $ver (dkms.conf, module/main.c, debian/changelog)"
else
	nok "one version: dkms.conf $ver, module/main.c $kv, debian/changelog $cl"
fi

if [ -n "$built" ]; then
	ok "dpkg-buildpackage -b: $(cd "$out" && ls *.deb | sed 's/_.*//' | paste -sd' ') (${build_s}s)"
else
	nok "dpkg-buildpackage -b (log: $out/build.log)"
	tail -n 25 "$out/build.log" | note
	plan
	exit 1
fi

# ---- 3. lintian --------------------------------------------------------------
lintian -I --fail-on error "$out"/*.changes >"$out/lintian.log" 2>&1 && lrc=0 || lrc=$?
grep -E '^[EWI]: ' "$out/lintian.log" | cut -d' ' -f1-4 | sort | uniq -c | sort -rn | head -n 20 |
	sed 's/^ */# lintian: /' || true
if [ "$lrc" = 0 ]; then
	ok "lintian: no errors ($(grep -c '^W: ' "$out/lintian.log" || true) warnings; $out/lintian.log)"
else
	nok "lintian: $(grep -c '^E: ' "$out/lintian.log" || true) errors ($out/lintian.log)"
	grep '^E: ' "$out/lintian.log" | head -n 20 | note
fi

# ---- 4. installed in the chroot ---------------------------------------------
root=$(overlay pkg)
mkdir -p "$root/tmp/debs"
cp "$out"/*.deb "$root/tmp/debs/"
debs=$(cd "$root/tmp/debs" && ls *.deb | sed 's|^|/tmp/debs/|' | paste -sd' ')
pkgs=$(cd "$out" && ls *.deb | sed 's/_.*//' | paste -sd' ')
t=$SECONDS
# pkg-config for the program built below: build-essential has none.
if chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get -y install $debs pkg-config \
	>"$out/apt-install.log" 2>&1; then
	st=$(chroot "$root" dkms status -m robustfutex -k "$KREL" 2>&1 || true)
	if grep -q ': installed' <<<"$st"; then
		ok "apt install ./*.deb: DKMS built and installed robustfutex/$ver for $KREL ($((SECONDS - t))s)"
	else
		nok "apt install ./*.deb: DKMS has no installed module for $KREL"
		echo "$st" | note; tail -n 25 "$out/apt-install.log" | note
		find "$root/var/lib/dkms/robustfutex" -name make.log -exec tail -n 20 {} + 2>/dev/null | note
	fi
else
	nok "apt install ./*.deb (log: $out/apt-install.log)"
	tail -n 25 "$out/apt-install.log" | note
fi

ko=$(ls "$root/lib/modules/$KREL/updates/dkms/"robustfutex.ko* 2>/dev/null | head -n 1 || true)
if [ -n "$ko" ]; then
	mi=$(chroot "$root" modinfo -F vermagic "${ko#"$root"}" 2>&1 | awk '{print $1}')
	mv_=$(chroot "$root" modinfo -F version "${ko#"$root"}" 2>&1)
	if [ "$mi" = "$KREL" ] && [ "$mv_" = "$ver" ]; then
		ok "module: ${ko#"$root"}, vermagic $mi, version $mv_"
	else
		nok "module: vermagic '$mi' (want $KREL), version '$mv_' (want $ver)"
	fi
	# Named as DKMS named it: the VM's modprobe finds it by that name.
	rm -rf "${out:?}/$KREL"
	mkdir -p "$out/$KREL"
	cp "$ko" "$out/$KREL/"
	ko=$out/$KREL/$(basename "$ko")
else
	nok "module: nothing in /lib/modules/$KREL/updates/dkms"
fi

check "rfctl --help (robustfutex-tools)" "$out/rfctl.log" chroot "$root" rfctl --help

# A program built against the installed headers and library, linked both
# ways; without the module (none can be loaded here) rf_info says ENODEV.
cat >"$root/tmp/prog.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <robustfutex.h>
#include <robustfutex/ioctl.h>

int main(void)
{
	struct rf_info info = { 0 };
	int ret = rf_info(&info);

	printf("rf_info: %d, ABI %d\n", ret, RF_ABI_VERSION);
	return ret == -ENODEV || ret == 0 ? 0 : 1;
}
EOF
prog() {
	chroot "$root" sh -exc '
		cd /tmp
		pkg-config --modversion robustfutex
		gcc -Wall -Werror -o prog prog.c $(pkg-config --cflags --libs robustfutex)
		gcc -Wall -Werror -static -o prog-static prog.c $(pkg-config --static --cflags --libs robustfutex)
		ldd prog | grep -E "librobustfutex.so.0 => (/usr)?/lib/x86_64-linux-gnu/librobustfutex.so.0 "
		RF_QUIET=1 ./prog && RF_QUIET=1 ./prog-static'
}
check "a program built with pkg-config against librobustfutex-dev, shared and static" "$out/prog.log" prog

# The preload, found through ld.so's $LIB by 64- and 32-bit programs: a
# 64-bit one runs here under it (ld.so says so on stderr if it cannot
# load it); the 32-bit files are checked for their class only (the host's
# kernel may run no 32-bit program).
preload_lib32() {
	local f e
	for f in /usr/lib32/librobustfutex.so.0 /usr/lib32/robustfutex/librobustfutex-pthread.so; do
		readelf -h "$root$f" | grep -q 'Class: *ELF32' || { echo "$f: not ELF32"; return 1; }
	done
	readelf -d "$root/usr/lib32/librobustfutex.so.0" | grep -F '[librobustfutex.so.0]'
	readelf -h "$root/usr/lib/x86_64-linux-gnu/robustfutex/librobustfutex-pthread.so" | grep 'Class: *ELF64'
	e=$(chroot "$root" env LD_PRELOAD='/usr/$LIB/robustfutex/librobustfutex-pthread.so' /bin/true 2>&1)
	[ -z "$e" ] || { echo "LD_PRELOAD: $e"; return 1; }
}
if [[ " $pkgs " == *" lib32robustfutex0 "* ]]; then
	check "preload at /usr/\$LIB/robustfutex/ (tools; lib32robustfutex0), 32-bit library in /usr/lib32" \
		"$out/preload.log" preload_lib32
else
	nok "no lib32robustfutex0 built"
fi

# The same program built "gcc -m32" against lib32robustfutex-dev, with
# its pkg-config file; gcc-multilib is the user's to install, as for any
# lib32*-dev.  Checked by its class and what it needs, not run.
prog32() {
	chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get -y install gcc-multilib >/dev/null &&
	chroot "$root" sh -exc '
		cd /tmp
		export PKG_CONFIG_LIBDIR=/usr/lib32/pkgconfig
		pkg-config --variable=libdir robustfutex | grep -x /usr/lib32
		gcc -m32 -Wall -Werror -o prog32 prog.c $(pkg-config --cflags --libs robustfutex)
		gcc -m32 -Wall -Werror -static -o prog32-static prog.c $(pkg-config --static --cflags --libs robustfutex)
		readelf -h prog32 | grep "Class: *ELF32"
		readelf -h prog32-static | grep "Class: *ELF32"
		readelf -d prog32 | grep -F "[librobustfutex.so.0]"'
}
if [[ " $pkgs " == *" lib32robustfutex-dev "* ]]; then
	check "a program built gcc -m32 with pkg-config against lib32robustfutex-dev, shared and static" \
		"$out/prog32.log" prog32
else
	nok "no lib32robustfutex-dev built"
fi

# Every page in man/ installed, by its section, by one of the packages.
mans=("$top"/man/*.[1-8])
if [ -e "${mans[0]}" ]; then
	missing_man=()
	for m in "${mans[@]}"; do
		f=${m##*/}
		[ -e "$root/usr/share/man/man${f##*.}/$f.gz" ] || missing_man+=("$f")
	done
	if [ ${#missing_man[@]} -eq 0 ]; then
		ok "man pages: all ${#mans[@]} of man/ installed"
	else
		nok "man pages: not installed: ${missing_man[*]}"
	fi
else
	skip "man pages: none in man/ yet"
fi

# ---- 5. purged ----------------------------------------------------------------
leftover() {
	chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get -y purge $pkgs || return 1
	local left
	left=$(cd "$root" && ls -d lib/modules/*/updates/dkms/robustfutex.ko* var/lib/dkms/robustfutex \
		usr/src/robustfutex-* etc/modprobe.d/robustfutex.conf usr/sbin/rfctl \
		usr/lib/x86_64-linux-gnu/librobustfutex* usr/lib32/librobustfutex* \
		usr/lib/x86_64-linux-gnu/pkgconfig/robustfutex.pc usr/lib32/pkgconfig/robustfutex.pc \
		usr/include/robustfutex* 2>/dev/null || true)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}
check "apt purge: nothing left (module, DKMS tree, conffile, libraries)" "$out/purge.log" leftover
umount -R "$root"

# ---- 6. the module DKMS built, in QEMU ---------------------------------------
if [ -z "$vm" ]; then
	skip "t_basic in QEMU on $KREL: --no-vm"
elif [ -z "$ko" ] || [ ! -e "$ko" ]; then
	nok "t_basic in QEMU on $KREL: no module"
else
	t=$SECONDS
	if ${RF_VM_LOCK:+flock "$RF_VM_LOCK"} "$here/vm-run" --kernel 6.1 --ko "$ko" -- /rf/tests/t_basic \
		>"$out/vm.log" 2>&1; then
		ok "t_basic in QEMU on $KREL with the module DKMS built ($(grep -cE '^ok ' "$out/vm.log") ok lines, $((SECONDS - t))s)"
	else
		nok "t_basic in QEMU on $KREL with the module DKMS built (log: $out/vm.log)"
		grep -E '^not ok|^# ' "$out/vm.log" | head -n 20 | note
	fi
fi

echo "# deb-test: $KTAP_CNT_PASS passed, $KTAP_CNT_FAIL failed, $KTAP_CNT_SKIP skipped in $((SECONDS - start))s"
plan
[ "$KTAP_CNT_FAIL" -eq 0 ]
