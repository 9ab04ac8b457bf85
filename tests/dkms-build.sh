#!/bin/bash
# dkms-build.sh KERNEL...: add this tree to DKMS and build the module for
# each test kernel (6.1, 6.12: see kernel.sh), against headers unpacked in
# the cache; prints "KREL PATH-TO-KO" per kernel.  Nothing is installed
# into /lib/modules: the VM runner loads the built file.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
src=/usr/src/robustfutex-$ver

mkdir -p "$src"
rsync -a --delete "$top/Kbuild" "$top/Makefile" "$top/dkms.conf" \
	"$top/module" "$top/uapi" "$src/"
dkms remove "robustfutex/$ver" --all >/dev/null 2>&1 || true
dkms add "robustfutex/$ver" >/dev/null
for k in "$@"; do
	eval "$("$top/tests/kernel.sh" "$k" | grep -E '^(KREL|KDIR)=')"
	krel=$KREL
	if ! dkms build "robustfutex/$ver" -k "$krel" --kernelsourcedir "$KDIR" \
		--force >/tmp/rf-dkms.log 2>&1; then
		cat /tmp/rf-dkms.log >&2
		find /var/lib/dkms/robustfutex -name make.log -exec cat {} + >&2
		exit 1
	fi
	ko=$(find "/var/lib/dkms/robustfutex/$ver/$krel" -name 'robustfutex.ko*' | head -n 1)
	[ -n "$ko" ] || { echo "dkms-build: no module built for $krel" >&2; exit 1; }
	echo "$krel $ko"
done
