#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel.sh [--headers] NAME: make kernel NAME ready for the VM and print,
# as shell assignments, KREL (release), KDIR (tree to build modules
# against), KIMAGE (bzImage) and KBUILTIN (dir holding modules.builtin*).
# With --headers only KREL and KDIR (and KCHROOT): no image is fetched.
# With --arch arm64 (before NAME) Debian 12's arm64 6.1 or 6.12 instead,
# or 6.12-16k, the same 6.12 built for 16K pages (the arm64-16k flavour,
# Apple Silicon's page size), from the arm64 lists of foreign-apt.sh: the
# headers' scripts come from the amd64 linux-kbuild package (Multi-Arch:
# foreign), so modules are cross-built on this host (cross.sh); KIMAGE is
# the arm64 vmlinuz.
#
# NAME is one of
#   6.1, 6.1-rt, 6.12, 6.12-rt   Debian 12's kernels (6.12: bookworm's
#                                linux-image-6.12-amd64), PREEMPT_RT for -rt
#   newest, newest-rt            the newest amd64 (rt-amd64) kernel in
#                                trixie-backports
#   SERIES, SERIES-rt            the newest release of a trixie-backports
#                                series, e.g. 7.1 or 6.19-rt
#   debug                        our debug build (build-debug-kernel.sh)
#
# Debian's images and headers are unpacked into the cache, never
# installed: the host's /boot and /lib/modules are left alone.  A trixie
# kernel's modules are built in the cached Debian 13 chroot
# (trixie-chroot.sh), where its headers are installed with the chroot's
# own apt: then KCHROOT is that chroot's directory and KDIR a path inside
# it.  KPKGVER is the Debian package version, for reports to pin.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${RF_CACHE:-/var/cache/robustfutex}
pool=http://deb.debian.org/debian/pool/main/l/linux
headers_only= arch=
while :; do
	case "${1:-}" in
	--headers) headers_only=1; shift ;;
	--arch) arch=$2; shift 2 ;;
	*) break ;;
	esac
done
case "$arch" in
''|amd64|x86_64) arch= ;;
arm64|aarch64) arch=arm64 ;;
*) echo "kernel.sh: unknown arch '$arch' (amd64, arm64)" >&2; exit 2 ;;
esac
name=${1:?usage: kernel.sh [--headers] 6.1|6.1-rt|6.12|6.12-rt|newest|newest-rt|SERIES[-rt]|debug}
mkdir -p "$cache"

# The release a Debian headers metapackage stands for, from apt's lists:
# nothing needs to be installed to ask.
debian_release() {
	local r
	r=$(apt-cache depends "$1" 2>/dev/null |
		sed -n 's/.*Depends: linux-headers-\([^ ,]*\).*/\1/p' | head -n 1)
	if [ -z "$r" ]; then
		apt-get update -qq >&2 || true
		r=$(apt-cache depends "$1" 2>/dev/null |
			sed -n 's/.*Depends: linux-headers-\([^ ,]*\).*/\1/p' | head -n 1)
	fi
	echo "$r"
}

# Unpack a package (and nothing it depends on) into $2, never into /.
unpack() {
	(cd "$2" && apt-get download -q -o APT::Sandbox::User=root "$1" >/dev/null &&
	 dpkg -x "$1"_*.deb root && rm -f ./"$1"_*.deb)
}

# Where a kernel package put the image and modules.builtin: /boot or the
# modules directory, under / or /usr (trixie's merged /usr; from 6.19 the
# image is in linux-binary-*, modules.builtin* in linux-base-*).
find_image() {	# ROOT KREL
	local f
	for f in "$1/boot/vmlinuz-$2" "$1/usr/lib/modules/$2/vmlinuz" "$1/lib/modules/$2/vmlinuz"; do
		[ -e "$f" ] && { echo "$f"; return; }
	done
	echo "kernel.sh: no vmlinuz for $2 under $1" >&2; exit 1
}
find_builtin() {	# ROOT KREL
	local d
	for d in "$1/usr/lib/modules/$2" "$1/lib/modules/$2"; do
		[ -e "$d/modules.builtin" ] && { echo "$d"; return; }
	done
	echo "kernel.sh: no modules.builtin for $2 under $1" >&2; exit 1
}

# ---- Debian 13 (trixie, trixie-backports) ------------------------------------
tapt() { "$here/trixie-apt.sh" "$@"; }

# fetch_deb NAME VERSION DIR: NAME_VERSION_*.deb into DIR, through the
# private lists while they carry it; a series trixie-backports has moved
# past is gone from the lists but still in the pool, fetched there by its
# exact file name.  (Such a file is checked to be the package asked for,
# but has no signed index left to check it against.)
fetch_deb() {
	local p=$1 v=$2 d=$3 a f
	compgen -G "$d/${p}_${v}_*.deb" >/dev/null && return 0
	if (cd "$d" && tapt apt-get download -q "$p=$v" >/dev/null 2>&1); then
		return 0
	fi
	case "$p" in *-common|*-common-rt) a=all ;; *) a=amd64 ;; esac
	f=${p}_${v}_$a.deb
	if ! curl -fsS -o "$d/$f.part" "$pool/$f"; then
		rm -f "$d/$f.part"
		echo "kernel.sh: $p $v is neither in the lists nor in the pool ($pool/$f)" >&2
		return 1
	fi
	[ "$(dpkg-deb -f "$d/$f.part" Package Version 2>/dev/null | tr '\n' ' ')" = "Package: $p Version: $v " ] ||
		{ echo "kernel.sh: $pool/$f is not $p $v" >&2; rm -f "$d/$f.part"; return 1; }
	mv "$d/$f.part" "$d/$f"
}

# The packages of kernel $abi a .deb depends on (image, headers, kbuild).
abi_deps() {	# DEB ABI
	dpkg-deb -f "$1" Depends | tr ',|' '\n\n' | sed 's/^ *//; s/ .*//' |
		grep -F -- "-$2" | grep -E '^linux-(image|binary|base|modules|headers|kbuild)-' || true
}

# fetch_closure PKG VERSION ABI DIR KEEP-REGEX: PKG and, transitively, the
# packages of this kernel it depends on that match KEEP-REGEX.
fetch_closure() {
	local todo=("$1") seen=" " p q
	while [ ${#todo[@]} -gt 0 ]; do
		p=${todo[0]}; todo=("${todo[@]:1}")
		case "$seen" in *" $p "*) continue ;; esac
		seen="$seen$p "
		fetch_deb "$p" "$2" "$4"
		for q in $(abi_deps "$(ls "$4/${p}_$2_"*.deb)" "$3"); do
			grep -qE "$5" <<<"$q" && todo+=("$q")
		done
	done
	echo "$seen"
}

trixie_kernel() {	# SERIES|newest FLAVOUR
	local series=$1 flavour=$2 pat abi dl pkgs p list
	if [ "$series" = newest ]; then
		pat='[0-9]+\.[0-9]+'
	else
		pat=${series//./\\.}
	fi
	# linux-image-X.Y.Z+deb13-FLAVOUR: not -cloud-*, -unsigned or -dbg.
	krel=$(tapt apt-cache search --names-only "^linux-image-$pat\.[0-9]+\+deb13-$flavour\$" |
		sed -n 's/^linux-image-\([^ ]*\) .*/\1/p' | sort -V | tail -n 1)
	[ -n "$krel" ] || { echo "kernel.sh: trixie-backports has no $flavour kernel of series $series" >&2; exit 1; }
	abi=${krel%-"$flavour"}
	kpkgver=$(tapt apt-cache show --no-all-versions "linux-image-$krel" | sed -n 's/^Version: //p' | head -n 1)
	echo "kernel.sh: $name is $krel ($kpkgver)" >&2

	kchroot=$("$here/trixie-chroot.sh" | tail -n 1)
	exec 7>"$cache/.kernel-$krel.lock"
	flock 7
	if ! [ -e "$kchroot/usr/src/linux-headers-$krel/Makefile" ] ||
	   [ "$(chroot "$kchroot" dpkg-query -W -f='${Status} ${Version}' "linux-headers-$krel" 2>/dev/null)" != "install ok installed $kpkgver" ]; then
		# The chroot's apt finds listed headers itself; delisted ones
		# are fetched from the pool and installed from files (apt then
		# brings the rest, gcc and all, from its lists).
		dl=/var/cache/rf-debs/$krel
		rm -rf "$kchroot$dl" && mkdir -p "$kchroot$dl"
		if chroot "$kchroot" apt-cache show "linux-headers-$krel=$kpkgver" >/dev/null 2>&1; then
			pkgs=("linux-headers-$krel=$kpkgver")
		else
			list=$(fetch_closure "linux-headers-$krel" "$kpkgver" "$abi" "$kchroot$dl" '^linux-(headers|kbuild|base)-')
			pkgs=()
			for p in $list; do
				pkgs+=("$dl/$(basename "$(ls "$kchroot$dl/${p}_${kpkgver}_"*.deb)")")
			done
		fi
		echo "kernel.sh: installing ${pkgs[*]} in $kchroot" >&2
		"$here/trixie-chroot.sh" install "${pkgs[@]}" >/dev/null
		rm -rf "${kchroot:?}$dl"
	fi
	kdir=/usr/src/linux-headers-$krel
	if [ -z "$headers_only" ]; then
		local dir=$cache/image-$krel
		if [ ! -e "$dir/.done" ]; then
			rm -rf "$dir" && mkdir -p "$dir/dl"
			# The image package, or (6.19 on) the metapackage and
			# the binary and base files it depends on; not the
			# modules.
			list=$(fetch_closure "linux-image-$krel" "$kpkgver" "$abi" "$dir/dl" '^linux-(binary|base)-')
			for p in $list; do
				dpkg -x "$(ls "$dir/dl/${p}_${kpkgver}_"*.deb)" "$dir/root"
			done
			rm -rf "$dir/dl"
			touch "$dir/.done"
		fi
		kimage=$(find_image "$dir/root" "$krel")
		kbuiltin=$(find_builtin "$dir/root" "$krel")
	fi
	exec 7>&-
}

# ---- Debian 12 -------------------------------------------------------------
bookworm_kernel() {	# HEADERS-METAPACKAGE
	krel=$(debian_release "$1")
	[ -n "$krel" ] || { echo "kernel.sh: apt knows no headers for $name" >&2; exit 1; }
	kpkgver=$(apt-cache show --no-all-versions "linux-headers-$krel" 2>/dev/null |
		sed -n 's/^Version: //p' | head -n 1)
	exec 7>"$cache/.kernel-$krel.lock"
	flock 7
	# Headers unpacked the same way: installing Debian's headers package
	# would install (and boot-configure) the kernel image it depends on,
	# on the host.
	local hdr=$cache/headers-$krel p
	if [ ! -e "$hdr/.done" ]; then
		rm -rf "$hdr" && mkdir -p "$hdr"
		unpack "linux-headers-$krel" "$hdr"
		for p in $(apt-cache depends "linux-headers-$krel" |
			   sed -n 's/.*Depends: \(linux-\(headers\|kbuild\)-[^ ]*\).*/\1/p'); do
			unpack "$p" "$hdr"
		done
		# Its Makefile includes the common tree by absolute path.
		sed -i "s|^include /usr/src/|include $hdr/root/usr/src/|" \
			"$hdr/root/usr/src/linux-headers-$krel/Makefile"
		touch "$hdr/.done"
	fi
	kdir=$hdr/root/usr/src/linux-headers-$krel
	if [ -z "$headers_only" ]; then
		local dir=$cache/image-$krel
		if [ ! -e "$dir/.done" ]; then
			rm -rf "$dir" && mkdir -p "$dir"
			unpack "linux-image-$krel" "$dir"
			touch "$dir/.done"
		fi
		kimage=$(find_image "$dir/root" "$krel")
		kbuiltin=$(find_builtin "$dir/root" "$krel")
	fi
	exec 7>&-
}

# ---- Debian 12, arm64 --------------------------------------------------------
fapt() { "$here/foreign-apt.sh" "$@"; }
# Unpack a package of the foreign lists into $2 (PKG:arm64, or PKG for
# amd64 and arch-all ones).
funpack() {
	(cd "$2" && fapt apt-get download -q "$1" >/dev/null &&
	 dpkg -x "${1%%:*}"_*.deb root && rm -f ./"${1%%:*}"_*.deb)
}
arm64_kernel() {	# HEADERS-METAPACKAGE
	krel=$(fapt apt-cache depends "$1:arm64" 2>/dev/null |
		sed -n 's/.*Depends: linux-headers-\([^ ,:]*\).*/\1/p' | head -n 1)
	[ -n "$krel" ] || { echo "kernel.sh: the arm64 lists know no $1" >&2; exit 1; }
	kpkgver=$(fapt apt-cache show --no-all-versions "linux-headers-$krel:arm64" 2>/dev/null |
		sed -n 's/^Version: //p' | head -n 1)
	exec 7>"$cache/.kernel-$krel.lock"
	flock 7
	local hdr=$cache/headers-$krel p
	if [ ! -e "$hdr/.done" ]; then
		rm -rf "$hdr" && mkdir -p "$hdr"
		funpack "linux-headers-$krel:arm64" "$hdr"
		# -common is arch all; linux-kbuild's host tools are amd64.
		for p in $(fapt apt-cache depends "linux-headers-$krel:arm64" |
			   sed -n 's/.*Depends: <\{0,1\}\(linux-\(headers\|kbuild\)-[^ :>]*\).*/\1/p' | sort -u); do
			funpack "$p" "$hdr"
		done
		sed -i "s|^include /usr/src/|include $hdr/root/usr/src/|" \
			"$hdr/root/usr/src/linux-headers-$krel/Makefile"
		touch "$hdr/.done"
	fi
	kdir=$hdr/root/usr/src/linux-headers-$krel
	if [ -z "$headers_only" ]; then
		local dir=$cache/image-$krel
		if [ ! -e "$dir/.done" ]; then
			rm -rf "$dir" && mkdir -p "$dir"
			funpack "linux-image-$krel:arm64" "$dir"
			touch "$dir/.done"
		fi
		kimage=$(find_image "$dir/root" "$krel")
		kbuiltin=$(find_builtin "$dir/root" "$krel")
	fi
	exec 7>&-
}

if [ -n "$arch" ]; then
	case "$name" in
	6.1|6.12|6.12-16k) ;;
	*) echo "kernel.sh: no $arch kernel '$name' (6.1, 6.12, 6.12-16k)" >&2; exit 2 ;;
	esac
	lists="$arch $("$here/foreign-apt.sh" stamp)"
	memo=$cache/kernel-memo/$name-$arch${headers_only:+-headers}
	if [ "$(head -n 1 "$memo" 2>/dev/null)" = "# $lists" ]; then
		(
			eval "$(tail -n +2 "$memo")"
			[ -e "$KDIR/Makefile" ] && { [ -z "${KIMAGE:-}" ] || [ -e "$KIMAGE" ]; }
		) 2>/dev/null && { tail -n +2 "$memo"; exit 0; }
	fi
	krel= kdir= kimage= kbuiltin= kpkgver=
	case "$name" in
	6.1)	arm64_kernel linux-headers-arm64 ;;
	6.12)	arm64_kernel linux-headers-6.12-arm64 ;;
	6.12-16k) arm64_kernel linux-headers-6.12-arm64-16k ;;
	esac
	out=$(
		echo "KREL=$krel"
		echo "KPKGVER=$kpkgver"
		echo "KDIR=$kdir"
		echo "KARCH=$arch"
		if [ -z "$headers_only" ]; then
			echo "KIMAGE=$kimage"
			echo "KBUILTIN=$kbuiltin"
		fi
	)
	mkdir -p "$cache/kernel-memo"
	printf '# %s\n%s\n' "$lists" "$out" >"$memo.$$" && mv "$memo.$$" "$memo"
	echo "$out"
	exit 0
fi

# What a name resolved to is kept while the package lists it was read from
# are unchanged (and the files it names exist): asking apt costs seconds
# per kernel, too much for build-matrix.sh's warm runs.
case "$name" in
debug)	lists= ;;
6.1|6.1-rt|6.12|6.12-rt)
	lists="host $(stat -c %Y /var/lib/apt/lists/*_Packages* 2>/dev/null | sort -n | tail -n 1)" ;;
*)	lists="trixie $("$here/trixie-apt.sh" stamp)" ;;
esac
memo=$cache/kernel-memo/$name${headers_only:+-headers}
if [ -n "$lists" ] && [ "$(head -n 1 "$memo" 2>/dev/null)" = "# $lists" ]; then
	(
		eval "$(tail -n +2 "$memo")"
		[ -e "${KCHROOT:-}$KDIR/Makefile" ] && { [ -z "${KIMAGE:-}" ] || [ -e "$KIMAGE" ]; }
	) 2>/dev/null && { tail -n +2 "$memo"; exit 0; }
fi

krel= kdir= kimage= kbuiltin= kchroot= kpkgver=
case "$name" in
6.1)		bookworm_kernel linux-headers-amd64 ;;
6.1-rt)		bookworm_kernel linux-headers-rt-amd64 ;;
6.12)		bookworm_kernel linux-headers-6.12-amd64 ;;
6.12-rt)	bookworm_kernel linux-headers-6.12-rt-amd64 ;;
newest)		trixie_kernel newest amd64 ;;
newest-rt)	trixie_kernel newest rt-amd64 ;;
[6-9].[0-9]*-rt)	trixie_kernel "${name%-rt}" rt-amd64 ;;
[6-9].[0-9]*)	trixie_kernel "$name" amd64 ;;
debug)
	kdir=$("$here/build-debug-kernel.sh" | tail -n 1)
	echo "KREL=$(cat "$kdir/kernelrelease")"
	echo "KDIR=$kdir"
	echo "KIMAGE=$kdir/arch/x86/boot/bzImage"
	echo "KBUILTIN=$kdir"
	exit 0 ;;
*)	echo "kernel.sh: unknown kernel '$name' (6.1, 6.1-rt, 6.12, 6.12-rt, newest, newest-rt, SERIES, SERIES-rt, debug)" >&2
	exit 2 ;;
esac
out=$(
	echo "KREL=$krel"
	echo "KPKGVER=$kpkgver"
	echo "KDIR=$kdir"
	[ -z "$kchroot" ] || echo "KCHROOT=$kchroot"
	if [ -z "$headers_only" ]; then
		echo "KIMAGE=$kimage"
		echo "KBUILTIN=$kbuiltin"
	fi
)
mkdir -p "$cache/kernel-memo"
printf '# %s\n%s\n' "$lists" "$out" >"$memo.$$" && mv "$memo.$$" "$memo"
echo "$out"
