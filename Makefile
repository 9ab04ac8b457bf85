# SPDX-License-Identifier: GPL-2.0
# robustfutex: module, library, tests.
#
#   make [module]        build the module for KDIR (default: running kernel)
#   make lib tests       userspace library, tools and test programs in build/
#   make examples        examples/ in build/examples (examples/README.md)
#   make install         install module (modules_install) and library
#   make dkms-install    register, build and install through DKMS
#   make qemu            QEMU linux-user, stock and patched, and its guest
#                        programs in build/qemu/ (tests/qemu-user/README.md)
#   make glibc-tests     glibc's own robust-mutex tests, built in build/glibc
#   make check           the test suite in QEMU on 6.1, 6.12, the newest Debian
#                        kernel, 6.1-rt and a debug RT kernel (tests/run-all)
#   make demo            comparison and benchmark against mainline in QEMU
#                        (KERNEL=6.1|6.12|newest|debug, QUICK=1: about 10 minutes)

# The version is the public header's ROBUSTFUTEX_VERSION_{MAJOR,MINOR,PATCH}.
rf_ver = $(shell sed -n 's/^.define ROBUSTFUTEX_VERSION_$(1)[[:space:]]*\([0-9]*\).*/\1/p' include/robustfutex.h)
VERSION := $(call rf_ver,MAJOR).$(call rf_ver,MINOR).$(call rf_ver,PATCH)
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
PREFIX ?= /usr/local
CC ?= cc
B := build

CFLAGS ?= -O2 -g
RF_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -D_GNU_SOURCE \
	-Iinclude -Ilib -I$(B)/include -pthread

# kselftest_harness.h casts pointers to long long and passes NULL to %s.
TEST_CFLAGS := -Wno-pointer-to-int-cast -Wno-format-overflow -Wno-misleading-indentation
KT := tests/kselftest
TESTS := $(patsubst $(KT)/%.c,%,$(wildcard $(KT)/t_*.c))
TEST_HDRS := $(wildcard $(KT)/*.h) include/robustfutex/ioctl.h

LIB_SRCS := $(wildcard lib/rf_*.c)
LIB_HDRS := include/robustfutex.h include/robustfutex/ioctl.h $(wildcard lib/*_internal.h) preload/preload.h
# The LD_PRELOAD interposer: the library's objects plus pthread_* wrappers.
PRELOAD_SRCS := $(wildcard preload/preload_*.c)
PRELOAD_LDFLAGS := -shared -pthread -Wl,-z,nodelete -Wl,--version-script=preload/preload.map \
	-Wl,-soname,librobustfutex-pthread.so

.PHONY: all module lib tests examples qemu glibc-tests check vm demo install dkms-install clean
all: module lib tests

# librobustfutex, 64- and 32-bit: shared and static.  Tests link the static
# one so the VM needs no library path; the .so is what users link.
lib: $(B)/bin/rfctl $(B)/lib/librobustfutex.so $(B)/lib/librobustfutex.a \
     $(B)/lib32/librobustfutex.so $(B)/lib32/librobustfutex.a \
     $(B)/lib/robustfutex.pc \
     $(B)/lib/librobustfutex-pthread.so $(B)/lib32/librobustfutex-pthread.so

$(B)/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(RF_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<
$(B)/lib32/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) -m32 $(CFLAGS) $(RF_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<
$(B)/lib/%.o: preload/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(RF_CFLAGS) -Ipreload -fPIC -fvisibility=hidden -c -o $@ $<
$(B)/lib32/%.o: preload/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) -m32 $(CFLAGS) $(RF_CFLAGS) -Ipreload -fPIC -fvisibility=hidden -c -o $@ $<

# Exports exactly <robustfutex.h>'s functions, versioned (lib/librobustfutex.map).
LIB_LDFLAGS := -shared -pthread -Wl,-z,nodelete -Wl,-soname,librobustfutex.so.0 \
	-Wl,--version-script=lib/librobustfutex.map
$(B)/lib/librobustfutex.so: $(patsubst lib/%.c,$(B)/lib/%.o,$(LIB_SRCS)) lib/librobustfutex.map
	$(CC) $(LIB_LDFLAGS) -o $@ $(filter %.o,$^)
$(B)/lib32/librobustfutex.so: $(patsubst lib/%.c,$(B)/lib32/%.o,$(LIB_SRCS)) lib/librobustfutex.map
	$(CC) -m32 $(LIB_LDFLAGS) -o $@ $(filter %.o,$^)
$(B)/lib/librobustfutex-pthread.so: $(patsubst lib/%.c,$(B)/lib/%.o,$(LIB_SRCS)) $(patsubst preload/%.c,$(B)/lib/%.o,$(PRELOAD_SRCS)) preload/preload.map
	$(CC) $(PRELOAD_LDFLAGS) -o $@ $(filter %.o,$^) -ldl
$(B)/lib32/librobustfutex-pthread.so: $(patsubst lib/%.c,$(B)/lib32/%.o,$(LIB_SRCS)) $(patsubst preload/%.c,$(B)/lib32/%.o,$(PRELOAD_SRCS)) preload/preload.map
	$(CC) -m32 $(PRELOAD_LDFLAGS) -o $@ $(filter %.o,$^) -ldl
$(B)/lib/librobustfutex.a: $(patsubst lib/%.c,$(B)/lib/%.o,$(LIB_SRCS))
	rm -f $@ && ar rcs $@ $^
$(B)/lib32/librobustfutex.a: $(patsubst lib/%.c,$(B)/lib32/%.o,$(LIB_SRCS))
	rm -f $@ && ar rcs $@ $^
# rfctl: status/load/unload through libkmod.
$(B)/bin/rfctl: tools/rfctl/rfctl.c include/robustfutex/ioctl.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -Iinclude -Ilib -o $@ $< \
		$$(pkg-config --cflags --libs libkmod)

$(B)/lib/robustfutex.pc: lib/robustfutex.pc.in
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' $< >$@

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The kernel's kselftest.h, kselftest_harness.h and ktap_helpers.sh.
$(B)/include/kselftest_harness.h $(B)/include/kselftest.h $(B)/include/ktap_helpers.sh &: tests/harness.sh
	tests/harness.sh $(B)/include

# p_*: plain pthread programs for the preload, linked with no librobustfutex;
# those on Debian's LMDB and tdb are 64-bit only (their -dev packages).
PAPPS := p_lmdb p_tdb
PT := tests/preload
PTESTS := $(filter-out $(PAPPS),$(patsubst $(PT)/%.c,%,$(wildcard $(PT)/p_*.c)))

tests: examples $(B)/bin/rfctl-test.sh $(addprefix $(B)/tests/,$(TESTS)) $(addprefix $(B)/tests32/,$(TESTS)) \
       $(B)/bin/preload-test.sh $(B)/bin/preload-apps.sh $(addprefix $(B)/ptests/,$(PTESTS) $(PAPPS)) $(addprefix $(B)/ptests32/,$(PTESTS)) \
       $(B)/ptests32/p_preload_t64 $(B)/include/ktap_helpers.sh \
       $(B)/lib/librobustfutex-pthread.so $(B)/lib32/librobustfutex-pthread.so
	@touch $(B)/.built

$(B)/bin/rfctl-test.sh: tests/rfctl-test.sh
	@mkdir -p $(dir $@)
	cp $< $@
$(B)/bin/preload-%.sh: $(PT)/preload-%.sh
	@mkdir -p $(dir $@)
	cp $< $@

# pthread_cancel dlopens libgcc_s: linked, ldd shows it and vm-run copies it.
GCC_S := -Wl,--push-state,--no-as-needed -lgcc_s -Wl,--pop-state
$(B)/ptests/p_lmdb: LDLIBS_P := -llmdb
$(B)/ptests/p_tdb: LDLIBS_P := -ltdb
$(B)/ptests/p_%: $(PT)/p_%.c $(PT)/p_tap.h $(B)/include/kselftest.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(B)/include -std=gnu11 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -pthread -o $@ $< $(LDLIBS_P) $(GCC_S)
# The same, as a 32-bit program with a 64-bit time_t calls glibc's *64 names.
$(B)/ptests32/p_preload_t64: $(PT)/p_preload.c $(PT)/p_tap.h $(B)/include/kselftest.h
	@mkdir -p $(dir $@)
	$(CC) -m32 -D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64 $(CFLAGS) -I$(B)/include -std=gnu11 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -pthread -o $@ $< $(GCC_S)
$(B)/ptests32/p_%: $(PT)/p_%.c $(PT)/p_tap.h $(B)/include/kselftest.h
	@mkdir -p $(dir $@)
	$(CC) -m32 $(CFLAGS) -I$(B)/include -std=gnu11 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -pthread -o $@ $< $(GCC_S)

# t_dlopen links no copy of the library: it dlopens two (the .so and a
# renamed copy), as a program and its plugin would.
$(B)/tests/t_dlopen: $(KT)/t_dlopen.c $(TEST_HDRS) $(B)/include/kselftest_harness.h $(B)/lib/librobustfutex.so
	$(CC) $(CFLAGS) $(RF_CFLAGS) $(TEST_CFLAGS) -o $@ $< -ldl
	cp $(B)/lib/librobustfutex.so $(B)/lib/librobustfutex-copy.so
$(B)/tests32/t_dlopen: $(KT)/t_dlopen.c $(TEST_HDRS) $(B)/include/kselftest_harness.h $(B)/lib32/librobustfutex.so
	$(CC) -m32 $(CFLAGS) $(RF_CFLAGS) $(TEST_CFLAGS) -o $@ $< -ldl
	cp $(B)/lib32/librobustfutex.so $(B)/lib32/librobustfutex-copy.so

$(B)/tests/t_%: $(KT)/t_%.c $(TEST_HDRS) $(B)/include/kselftest_harness.h $(B)/lib/librobustfutex.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(RF_CFLAGS) $(TEST_CFLAGS) -o $@ $< $(B)/lib/librobustfutex.a -ldl

$(B)/tests32/t_%: $(KT)/t_%.c $(TEST_HDRS) $(B)/include/kselftest_harness.h $(B)/lib32/librobustfutex.a
	@mkdir -p $(dir $@)
	$(CC) -m32 $(CFLAGS) $(RF_CFLAGS) $(TEST_CFLAGS) -o $@ $< $(B)/lib32/librobustfutex.a -ldl

# examples/: small programs for emulator authors and application
# programmers, in $(B)/examples (the emulator's also 32-bit, in
# $(B)/examples32); they need the module (examples/README.md).
EX := examples
examples: $(B)/examples/emulator-guest-list $(B)/examples32/emulator-guest-list \
	  $(B)/examples/shared-mutex $(B)/examples/preload-demo $(B)/examples/preload-demo.sh \
	  $(B)/lib/librobustfutex-pthread.so
$(B)/examples/%: $(EX)/%.c include/robustfutex.h include/robustfutex/ioctl.h $(B)/lib/librobustfutex.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -Iinclude -pthread -o $@ $< $(B)/lib/librobustfutex.a
$(B)/examples32/%: $(EX)/%.c include/robustfutex.h include/robustfutex/ioctl.h $(B)/lib32/librobustfutex.a
	@mkdir -p $(dir $@)
	$(CC) -m32 $(CFLAGS) -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -Iinclude -pthread -o $@ $< $(B)/lib32/librobustfutex.a
# The preload demo is a plain pthread program: no librobustfutex.
$(B)/examples/preload-demo: $(EX)/preload-demo.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -pthread -o $@ $<
$(B)/examples/preload-demo.sh: $(EX)/preload-demo.sh
	@mkdir -p $(dir $@)
	cp $< $@

# QEMU's i386 linux-user emulator, as Debian builds it and with our patch
# (tests/vm/build-qemu.sh, cached), and what tests/qemu-user/qemu-test.sh runs in
# the VM: static i386 glibc guests and the emulator-side lock.
QEMU_GUESTS := holder waiter futexops
qemu: $(addprefix $(B)/qemu/,$(QEMU_GUESTS) emulock.so emucheck qemu-test.sh)
	@d=$$(tests/vm/build-qemu.sh) && cp $$d/qemu-i386 $$d/qemu-i386-rf $(B)/qemu/

$(B)/qemu/%: tests/qemu-user/%.c tests/qemu-user/shm.h
	@mkdir -p $(dir $@)
	$(CC) -m32 -static $(CFLAGS) -Wall -Wextra -Wno-unused-parameter -pthread -o $@ $<
$(B)/qemu/emulock.so: tests/qemu-user/emulock.c tests/qemu-user/emushm.h $(B)/lib/librobustfutex.a
	$(CC) $(CFLAGS) $(RF_CFLAGS) -shared -fPIC -o $@ $< $(B)/lib/librobustfutex.a
$(B)/qemu/emucheck: tests/qemu-user/emucheck.c tests/qemu-user/emushm.h $(B)/lib/librobustfutex.a
	$(CC) $(CFLAGS) $(RF_CFLAGS) -o $@ $< $(B)/lib/librobustfutex.a
$(B)/qemu/qemu-test.sh: tests/qemu-user/qemu-test.sh
	@mkdir -p $(dir $@)
	cp $< $@
# glibc 2.36's own mutex/condvar/robust tests, from Debian's glibc-source,
# built standalone in $(B)/glibc; run in the VM plain and with the preload.
glibc-tests:
	tests/glibc/build.sh $(B)/glibc

# STAGES: any of host dkms matrix vm (default all); RF_KERNELS: the VMs.
check:
	STAGES="$(STAGES)" tests/run-all

# One test on one kernel in the VM, rebuilt first if it changed:
#   make vm K=6.12 T=t_exit [ARGS='-t name'] [BITS=32]
# K is a tests/vm/kernel.sh name (6.1, 6.12, newest, 6.1-rt, debug...).
K ?= 6.12
vm:
	@test -n "$(T)" || { echo "usage: make vm K=6.12 T=t_exit [ARGS='-t TEST'] [BITS=32]" >&2; exit 2; }
	tests/vm/vm-run --kernel $(K) -- /rf/tests$(if $(filter 32,$(BITS)),32)/$(T) $(ARGS)

KERNEL ?= 6.12
demo:
	tests/bench/run --kernel $(KERNEL) $(if $(QUICK),--quick)

install: lib
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -a $(KVER)
	install -D -m 644 include/robustfutex/ioctl.h $(DESTDIR)$(PREFIX)/include/robustfutex/ioctl.h
	install -D -m 644 include/robustfutex.h $(DESTDIR)$(PREFIX)/include/robustfutex.h
	install -D -m 755 $(B)/lib/librobustfutex.so $(DESTDIR)$(PREFIX)/lib/librobustfutex.so.0
	ln -sf librobustfutex.so.0 $(DESTDIR)$(PREFIX)/lib/librobustfutex.so
	install -D -m 755 $(B)/lib/librobustfutex-pthread.so $(DESTDIR)$(PREFIX)/lib/librobustfutex-pthread.so
	install -D -m 644 $(B)/lib/librobustfutex.a $(DESTDIR)$(PREFIX)/lib/librobustfutex.a
	install -D -m 644 $(B)/lib/robustfutex.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/robustfutex.pc
	install -D -m 755 $(B)/bin/rfctl $(DESTDIR)$(PREFIX)/sbin/rfctl

dkms-install:
	rsync -a --delete --exclude=build --exclude=.git ./ /usr/src/robustfutex-$(VERSION)/
	dkms add -m robustfutex -v $(VERSION) || true
	dkms build -m robustfutex -v $(VERSION) -k $(KVER) --force
	dkms install -m robustfutex -v $(VERSION) -k $(KVER) --force

clean:
	rm -rf $(B)
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
