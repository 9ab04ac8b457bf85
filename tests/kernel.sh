#!/bin/bash
# kernel.sh NAME: make kernel NAME (6.1, 6.12 or debug) ready for the VM and
# print, as shell assignments, KREL (release), KDIR (tree to build modules
# against), KIMAGE (bzImage) and KBUILTIN (dir holding modules.builtin*).
# Debian's images and headers are unpacked into the cache, never
# installed: the host's /boot and /lib/modules are left alone.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${RF_CACHE:-/var/cache/robustfutex}
name=${1:?usage: kernel.sh 6.1|6.12|debug}

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

case "$name" in
6.1)	krel=$(debian_release linux-headers-amd64) ;;
6.12)	krel=$(debian_release linux-headers-6.12-amd64) ;;
6.1-rt)	krel=$(debian_release linux-headers-rt-amd64) ;;
debug)
	kdir=$("$here/build-debug-kernel.sh" | tail -n 1)
	echo "KREL=$(cat "$kdir/kernelrelease")"
	echo "KDIR=$kdir"
	echo "KIMAGE=$kdir/arch/x86/boot/bzImage"
	echo "KBUILTIN=$kdir"
	exit 0 ;;
*)	echo "kernel.sh: unknown kernel '$name' (6.1, 6.12, debug)" >&2
	exit 2 ;;
esac
[ -n "$krel" ] || { echo "kernel.sh: apt knows no headers for $name" >&2; exit 1; }

dir=$cache/image-$krel
if [ ! -e "$dir/.done" ]; then
	rm -rf "$dir" && mkdir -p "$dir"
	unpack "linux-image-$krel" "$dir"
	touch "$dir/.done"
fi
# Headers unpacked the same way: installing Debian's headers package would
# install (and boot-configure) the kernel image it depends on, on the host.
hdr=$cache/headers-$krel
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
echo "KREL=$krel"
echo "KDIR=$hdr/root/usr/src/linux-headers-$krel"
echo "KIMAGE=$dir/root/boot/vmlinuz-$krel"
echo "KBUILTIN=$dir/root/lib/modules/$krel"
