#!/bin/bash
# kernel.sh NAME: make kernel NAME (6.1, 6.12 or debug) ready for the VM and
# print, as shell assignments, KREL (release), KDIR (tree to build modules
# against), KIMAGE (bzImage) and KBUILTIN (dir holding modules.builtin*).
# Debian's images are unpacked into the cache, never installed in /boot.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${RF_CACHE:-/var/cache/robustfutex}
name=${1:?usage: kernel.sh 6.1|6.12|debug}

debian_release() {	# headers metapackage -> versioned release
	dpkg-query -W -f='${Depends}' "$1" |
		sed -n 's/.*linux-headers-\([^ ,]*\).*/\1/p'
}

case "$name" in
6.1)	krel=$(debian_release linux-headers-amd64) ;;
6.12)	krel=$(debian_release linux-headers-6.12-amd64) ;;
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
[ -n "$krel" ] || { echo "kernel.sh: headers for $name not installed" >&2; exit 1; }

dir=$cache/image-$krel
if [ ! -e "$dir/.done" ]; then
	rm -rf "$dir" && mkdir -p "$dir"
	(cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "linux-image-$krel" >/dev/null &&
	 dpkg -x linux-image-"$krel"_*.deb root && rm -f ./*.deb)
	touch "$dir/.done"
fi
echo "KREL=$krel"
echo "KDIR=/lib/modules/$krel/build"
echo "KIMAGE=$dir/root/boot/vmlinuz-$krel"
echo "KBUILTIN=$dir/root/lib/modules/$krel"
