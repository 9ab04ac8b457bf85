#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# trixie-chroot.sh [install PKG|FILE.deb... | run [--bind DIR CDIR] CMD...]
#
# A Debian 13 chroot in the cache, for building modules against trixie's
# kernels as a trixie user would: their kbuild tools (modpost, objtool,
# resolve_btfids) need a newer glibc than Debian 12's.  Prints the
# chroot's directory (last line; not for run).
#
# Made once with debootstrap (minbase), with gcc, make and dkms; apt in it
# uses trixie and trixie-backports.  `install` installs packages (names
# from its lists, or .deb files given by their path inside the chroot)
# with the chroot's own apt, refreshing its lists when older than a day.
# Creation and installs hold a lock: concurrent callers wait.  `run` runs
# a command in the chroot with /proc mounted (objtool reads it) and DIR
# bound at CDIR, in a mount namespace of its own: nothing stays mounted
# when it ends, however it ends.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${RF_CACHE:-/var/cache/robustfutex}
max_age=${RF_APT_MAX_AGE:-86400}
# Bump when what the chroot is made with changes.
RECIPE=1
dir=$cache/trixie-chroot
mirror=http://deb.debian.org/debian
say() { echo "trixie-chroot: $*" >&2; }

mkdir -p "$cache"
if [ "${1:-}" = run ]; then
	shift
	bind=()
	[ "${1:-}" = --bind ] && { bind=("$2" "$3"); shift 3; }
	[ -e "$dir/.rf-recipe" ] || "$0" >/dev/null
	# shellcheck disable=SC2016
	exec unshare --mount --propagation private sh -ec '
		dir=$1 src=$2 dst=$3; shift 3
		mount -t proc proc "$dir/proc"
		if [ -n "$src" ]; then
			mkdir -p "$dir$dst"
			mount --bind "$src" "$dir$dst"
		fi
		exec chroot "$dir" "$@"' sh "$dir" "${bind[0]:-}" "${bind[1]:-}" "$@"
fi
exec 9>"$cache/.trixie-chroot.lock"
flock 9

if [ "$(cat "$dir/.rf-recipe" 2>/dev/null)" != "$RECIPE" ]; then
	command -v debootstrap >/dev/null || "$here/../deps.sh" vm
	say "creating $dir (debootstrap trixie, minbase)"
	start=$SECONDS
	rm -rf "$dir" "$dir.tmp"
	debootstrap --variant=minbase trixie "$dir.tmp" "$mirror" \
		>"$cache/trixie-chroot.log" 2>&1 ||
		{ tail -n 30 "$cache/trixie-chroot.log" >&2; exit 1; }
	say "debootstrap took $((SECONDS - start))s"
	key=/usr/share/keyrings/debian-archive-keyring.gpg
	cat >"$dir.tmp/etc/apt/sources.list" <<-EOF
		deb [signed-by=$key] $mirror trixie main
		deb [signed-by=$key] $mirror trixie-backports main
	EOF
	# Nothing to start in a chroot; no recommends (dkms's pull a kernel).
	printf '#!/bin/sh\nexit 101\n' >"$dir.tmp/usr/sbin/policy-rc.d"
	chmod +x "$dir.tmp/usr/sbin/policy-rc.d"
	echo 'APT::Install-Recommends "false";' >"$dir.tmp/etc/apt/apt.conf.d/90rf"
	cp /etc/resolv.conf "$dir.tmp/etc/resolv.conf" 2>/dev/null || true
	chroot "$dir.tmp" apt-get -qq update >>"$cache/trixie-chroot.log" 2>&1
	DEBIAN_FRONTEND=noninteractive chroot "$dir.tmp" apt-get -y -qq install \
		gcc make dkms >>"$cache/trixie-chroot.log" 2>&1 ||
		{ tail -n 30 "$cache/trixie-chroot.log" >&2; exit 1; }
	chroot "$dir.tmp" apt-get clean
	touch "$dir.tmp/.rf-apt-stamp"
	echo "$RECIPE" >"$dir.tmp/.rf-recipe"
	mv "$dir.tmp" "$dir"
	say "created in $((SECONDS - start))s"
fi

# A module registered with the chroot's DKMS (dkms-build.sh adds ours)
# would be built by DKMS's kernel hooks whenever headers are installed:
# slow, racing dkms-build.sh, and failing for a kernel it does not build
# on, which leaves the headers half-configured.  The hooks are diverted
# away; dkms-build.sh builds explicitly.
for h in /etc/kernel/header_postinst.d/dkms /etc/kernel/postinst.d/dkms; do
	[ -e "$dir$h" ] || continue
	chroot "$dir" dpkg-divert --quiet --local --rename \
		--divert "$h.rf-disabled" --add "$h"
done

if [ "${1:-}" = install ]; then
	shift
	export DEBIAN_FRONTEND=noninteractive
	chroot "$dir" dpkg --configure -a >/dev/null 2>&1 || true
	stamp=$(stat -c %Y "$dir/.rf-apt-stamp" 2>/dev/null || echo 0)
	if [ $(($(date +%s) - stamp)) -ge "$max_age" ]; then
		if chroot "$dir" apt-get -qq update >&2; then
			touch "$dir/.rf-apt-stamp"
		else
			say "apt-get update failed; using the lists it has"
		fi
	fi
	chroot "$dir" apt-get -y -qq install "$@" >"$dir/.rf-install.log" 2>&1 ||
		{ cat "$dir/.rf-install.log" >&2; exit 1; }
	chroot "$dir" apt-get clean
fi
echo "$dir"
