#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build.sh OUT: build glibc 2.36's own mutex, condvar and robust-mutex tests
# (tests.list) standalone, against the installed glibc, into OUT (build/glibc),
# with run.sh, the guest side that runs them.
#
# The sources come from Debian's glibc-source, unpacked into the cache, never
# into the repository.  Only support/'s pieces the tests link are built, into
# libsupport.a.  Outside glibc's tree three things are missing, and given:
#   - shim/config.h (ours): what a configured tree's config.h provides;
#   - shim/pthreadP.h (ours): tst-robust8's one use of it;
#   - intprops.h, array_length.h, libc-diag.h from glibc's include/ (copied
#     alone into the cache: that directory also wraps the public headers,
#     which must stay the installed ones).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTDIR}
cache=${RF_CACHE:-/var/cache/robustfutex}
tarball=/usr/src/glibc/glibc-2.36.tar.xz
CC=${CC:-cc}

[ -e "$tarball" ] || { echo "build.sh: $tarball missing (tests/deps.sh installs glibc-source)" >&2; exit 1; }

# Unpack once per glibc-source version: the parts the tests and support/ use.
ver=$(dpkg-query -W -f='${Version}' glibc-source)
src=$cache/glibc-$ver/glibc-2.36
xinc=$cache/glibc-$ver/xinc
if [ ! -e "$cache/glibc-$ver/.unpacked" ]; then
	rm -rf "$cache/glibc-$ver"
	mkdir -p "$xinc"
	tar -C "$cache/glibc-$ver" -xf "$tarball" glibc-2.36/test-skeleton.c \
		glibc-2.36/support glibc-2.36/nptl glibc-2.36/sysdeps/pthread
	tar -C "$xinc" -xf "$tarball" --strip-components=2 \
		glibc-2.36/include/intprops.h glibc-2.36/include/array_length.h \
		glibc-2.36/include/libc-diag.h
	touch "$cache/glibc-$ver/.unpacked"
fi

# support_paths.c wants the build tree's paths; there is none.
none='"/nonexistent"'
cflags=(-std=gnu11 -O2 -g -D_GNU_SOURCE -include config.h
	-I"$here/shim" -I"$xinc" -I"$src" -I"$src/support"
	-I"$src/nptl" -I"$src/sysdeps/pthread")
# -I nptl: a test's "../test-skeleton.c" is found from there, and
# -I sysdeps/pthread: nptl's tst-*pi* include "tst-robust1.c" and the like.

support=(check delayed_exit oom_error support_mutex_pi_monotonic
	support_paths support_record_failure support_test_compare_failure
	support_test_main support_test_verify_impl temp_file timespec
	timespec-add timespec-sub write_message xasprintf xcalloc xchdir
	xclock_gettime xfopen xfork xmalloc xmmap xmunmap
	xpthread_barrier_destroy xpthread_barrier_init xpthread_barrier_wait
	xpthread_check_return xpthread_cond_wait xpthread_create
	xpthread_detach xpthread_join xpthread_mutex_consistent
	xpthread_mutex_destroy xpthread_mutex_init xpthread_mutex_lock
	xpthread_mutex_unlock xpthread_mutexattr_destroy
	xpthread_mutexattr_init xpthread_mutexattr_setprotocol
	xpthread_mutexattr_setpshared xpthread_mutexattr_setrobust
	xpthread_mutexattr_settype xpthread_sigmask xwaitpid xwrite)

mkdir -p "$out/obj"
stamp=$out/obj/.flags
echo "$ver ${cflags[*]} $(cat "$here"/shim/*.h "$0" | sha1sum)" >"$stamp.new"
cmp -s "$stamp" "$stamp.new" || { rm -f "$out"/obj/*.o "$out"/tst-*; mv "$stamp.new" "$stamp"; }
rm -f "$stamp.new"

objs=()
for s in "${support[@]}"; do
	o=$out/obj/$s.o
	[ -e "$o" ] || $CC "${cflags[@]}" -DSRCDIR_PATH="$none" \
		-DOBJDIR_PATH="$none" -DOBJDIR_ELF_LDSO_PATH="$none" \
		-DINSTDIR_PATH="$none" -DLIBDIR_PATH="$none" \
		-DBINDIR_PATH="$none" -DSBINDIR_PATH="$none" \
		-DSLIBDIR_PATH="$none" -DROOTSBINDIR_PATH="$none" \
		-DCOMPLOCALEDIR_PATH="$none" \
		-c -o "$o" "$src/support/$s.c"
	objs+=("$o")
done
lib=$out/obj/libsupport.a
[ -e "$lib" ] || ar rcs "$lib" "${objs[@]}"

# The tests, and the list run.sh reads: NAME [VAR=VALUE...] [--ARG...].
# pthread_cancel and thread exit dlopen libgcc_s; linked, it shows in ldd,
# which is how vm-run finds the libraries to put in the guest.
: >"$out/tests.txt.new"
grep -vE '^(#|$)' "$here/tests.list" | while read -r path rest; do
	if [ "$path" = skip ]; then
		echo "skip $rest" >>"$out/tests.txt.new"
		continue
	fi
	name=${path##*/}
	[ -e "$out/$name" ] ||
		$CC "${cflags[@]}" -o "$out/$name" "$src/$path.c" "$lib" -pthread \
			-Wl,--push-state,--no-as-needed -lgcc_s -Wl,--pop-state
	echo "$name $rest" >>"$out/tests.txt.new"
done
mv "$out/tests.txt.new" "$out/tests.txt"
# Not executable: vm-run runs ldd on every executable it copies.
install -m 644 "$here/run.sh" "$out/run.sh"
