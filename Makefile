# SPDX-License-Identifier: GPL-2.0
# robustfutex: module, library, tools, tests.
#
#   make                 the module for KVER/KDIR (default: the running kernel)
#                        and the 64-bit library: build-essential and the
#                        kernel's headers are all it needs
#   make lib32           the 32-bit library and preload (gcc-multilib)
#   make tools           rfctl (libkmod-dev, pkg-config)
#   make preload         the 64-bit pthread LD_PRELOAD interposer
#   make tests           the test programs, and all of the above but the module
#   make examples        examples/ in build/examples (examples/README.md)
#   make install         module (then depmod), library, headers, pkg-config,
#                        man pages, samples; rfctl, preload, lib32 if built
#   make uninstall       remove what install put there
#   make dkms-install    register, build and install through DKMS instead
#   make dkms-uninstall  remove it from DKMS and /usr/src
#   make qemu            QEMU linux-user, stock and patched, and its guest
#                        programs in build/qemu/ (tests/qemu-user/README.md)
#   make qemu-arm64      the same QEMU for an arm64 host (static, cross-built)
#                        and the guests in build-arm64/qemu/ (vm-run --arch arm64)
#   make glibc-tests     glibc's own robust-mutex tests, built in build/glibc
#   make check           the test suite in QEMU on 6.1, 6.12, the newest Debian
#                        kernel, 6.1-rt and a debug RT kernel (tests/run-all)
#   make demo            comparison and benchmark against mainline in QEMU
#                        (KERNEL=6.1|6.12|newest|debug, QUICK=1: about 10 minutes;
#                        ARCH=arm64: Debian's arm64 6.1|6.12, report/6.12-arm64)
#
# Install locations: DESTDIR, PREFIX (/usr/local), LIBDIR, LIB32DIR,
# INCLUDEDIR, SBINDIR, MANDIR, DOCDIR, PCDIR and PC32DIR (pkgconfig/ in
# LIBDIR and LIB32DIR unless set), PRELOADDIR and PRELOAD32DIR (the
# preload's: LIBDIR and LIB32DIR unless set); the module goes to
# $(INSTALL_MOD_PATH)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR) (extra).

# The version is the public header's ROBUSTFUTEX_VERSION_{MAJOR,MINOR,PATCH}.
rf_ver = $(shell sed -n 's/^.define ROBUSTFUTEX_VERSION_$(1)[[:space:]]*\([0-9]*\).*/\1/p' include/robustfutex.h)
VERSION := $(call rf_ver,MAJOR).$(call rf_ver,MINOR).$(call rf_ver,PATCH)
SOVERSION := 0
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
CC ?= cc
B := build

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
LIB32DIR ?= $(PREFIX)/lib32
INCLUDEDIR ?= $(PREFIX)/include
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/robustfutex
PCDIR ?= $(LIBDIR)/pkgconfig
PC32DIR ?= $(LIB32DIR)/pkgconfig
PRELOADDIR ?= $(LIBDIR)
PRELOAD32DIR ?= $(LIB32DIR)
INSTALL_MOD_PATH ?=
INSTALL_MOD_DIR ?= extra
DKMS_SRC := /usr/src/robustfutex-$(VERSION)

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

.PHONY: all module lib lib32 tools preload tests examples qemu qemu-arm64 glibc-tests check vm demo \
	install install-module install-userspace uninstall uninstall-module \
	uninstall-userspace dkms-source dkms-install dkms-uninstall clean
all: module lib

# librobustfutex, shared and static (tests link the static one so the VM
# needs no library path; the .so is what users link).  lib32: the same
# -m32, with the 32-bit preload.
LIB64 := $(B)/lib/librobustfutex.so $(B)/lib/librobustfutex.a
LIB32 := $(B)/lib32/librobustfutex.so $(B)/lib32/librobustfutex.a
lib: $(LIB64)
lib32: $(LIB32) $(B)/lib32/librobustfutex-pthread.so
tools: $(B)/bin/rfctl
preload: $(B)/lib/librobustfutex-pthread.so

$(B)/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(RF_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<
$(B)/lib32/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) -m32 $(CPPFLAGS) $(CFLAGS) $(RF_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<
$(B)/lib/%.o: preload/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(RF_CFLAGS) -Ipreload -fPIC -fvisibility=hidden -c -o $@ $<
$(B)/lib32/%.o: preload/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) -m32 $(CPPFLAGS) $(CFLAGS) $(RF_CFLAGS) -Ipreload -fPIC -fvisibility=hidden -c -o $@ $<

# Exports exactly <robustfutex.h>'s functions, versioned (lib/librobustfutex.map).
LIB_LDFLAGS := -shared -pthread -Wl,-z,nodelete -Wl,-soname,librobustfutex.so.$(SOVERSION) \
	-Wl,--version-script=lib/librobustfutex.map
$(B)/lib/librobustfutex.so: $(patsubst lib/%.c,$(B)/lib/%.o,$(LIB_SRCS)) lib/librobustfutex.map
	$(CC) $(LDFLAGS) $(LIB_LDFLAGS) -o $@ $(filter %.o,$^)
$(B)/lib32/librobustfutex.so: $(patsubst lib/%.c,$(B)/lib32/%.o,$(LIB_SRCS)) lib/librobustfutex.map
	$(CC) -m32 $(LDFLAGS) $(LIB_LDFLAGS) -o $@ $(filter %.o,$^)
$(B)/lib/librobustfutex-pthread.so: $(patsubst lib/%.c,$(B)/lib/%.o,$(LIB_SRCS)) $(patsubst preload/%.c,$(B)/lib/%.o,$(PRELOAD_SRCS)) preload/preload.map
	$(CC) $(LDFLAGS) $(PRELOAD_LDFLAGS) -o $@ $(filter %.o,$^) -ldl
$(B)/lib32/librobustfutex-pthread.so: $(patsubst lib/%.c,$(B)/lib32/%.o,$(LIB_SRCS)) $(patsubst preload/%.c,$(B)/lib32/%.o,$(PRELOAD_SRCS)) preload/preload.map
	$(CC) -m32 $(LDFLAGS) $(PRELOAD_LDFLAGS) -o $@ $(filter %.o,$^) -ldl
$(B)/lib/librobustfutex.a: $(patsubst lib/%.c,$(B)/lib/%.o,$(LIB_SRCS))
	rm -f $@ && ar rcs $@ $^
$(B)/lib32/librobustfutex.a: $(patsubst lib/%.c,$(B)/lib32/%.o,$(LIB_SRCS))
	rm -f $@ && ar rcs $@ $^
# rfctl: status/load/unload through libkmod.
$(B)/bin/rfctl: tools/rfctl/rfctl.c include/robustfutex/ioctl.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -Iinclude -Ilib $(LDFLAGS) -o $@ $< \
		$$(pkg-config --cflags --libs libkmod)

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

tests: lib lib32 tools preload examples $(B)/bin/rfctl-test.sh $(addprefix $(B)/tests/,$(TESTS)) $(addprefix $(B)/tests32/,$(TESTS)) \
       $(B)/bin/preload-test.sh $(B)/bin/preload-apps.sh $(addprefix $(B)/ptests/,$(PTESTS) $(PAPPS)) $(addprefix $(B)/ptests32/,$(PTESTS)) \
       $(B)/ptests32/p_preload_t64 $(B)/include/ktap_helpers.sh
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
# The same QEMU for an arm64 host (FEX-Emu's case: tests/vm/build-qemu.sh
# --arch arm64, static aarch64), with the same i386 guests, for vm-run
# --arch arm64; not the emulator-side lock: nothing is preloaded into a
# static QEMU.
QA := build-arm64/qemu
qemu-arm64: $(addprefix $(QA)/,$(QEMU_GUESTS) qemu-test.sh)
	@d=$$(tests/vm/build-qemu.sh --arch arm64) && cp $$d/qemu-i386 $$d/qemu-i386-rf $(QA)/
$(QA)/%: tests/qemu-user/%.c tests/qemu-user/shm.h
	@mkdir -p $(dir $@)
	$(CC) -m32 -static $(CFLAGS) -Wall -Wextra -Wno-unused-parameter -pthread -o $@ $<
$(QA)/qemu-test.sh: tests/qemu-user/qemu-test.sh
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
	tests/bench/run --kernel $(KERNEL) $(if $(QUICK),--quick) $(if $(filter arm64 aarch64,$(ARCH)),--arch arm64)

# ---- install -----------------------------------------------------------------
# The module for KVER and the userspace that is built: the library and its
# headers always, rfctl, the preload and the 32-bit libraries when built
# (make tools, preload, lib32: rebuilt here if out of date).  depmod and
# ldconfig run only when DESTDIR is empty: a staged install (a package)
# leaves them to the target system.  uninstall removes the same files, and
# the directories it leaves empty: under DESTDIR all of them, in a live
# system only those it may have made (include/robustfutex, share/doc and
# the doc, preload, pkgconfig and man section directories).
#
# One module, one copy: `make install` puts it in extra/, DKMS in
# updates/dkms/, and depmod would pick one of the two silently.  So install
# refuses while DKMS has robustfutex installed for KVER (from dkms-install
# or the robustfutex-dkms package), and dkms-install removes install's copy
# for KVER, saying so.
D := $(if $(DESTDIR),$(abspath $(DESTDIR)))
KO_DIR = $(D)$(INSTALL_MOD_PATH)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)
LIBFILE := librobustfutex.so.$(VERSION)
MANPAGES := $(wildcard man/*.[1-8])
SAMPLES := modules-load.d/robustfutex.conf modprobe.d/robustfutex.conf
BUILT_OPT := $(if $(wildcard $(B)/bin/rfctl),tools) \
	$(if $(wildcard $(B)/lib/librobustfutex-pthread.so),preload) \
	$(if $(wildcard $(B)/lib32/librobustfutex.so),lib32)
# $(call pc_file,LIBDIR,FILE): robustfutex.pc for the library in LIBDIR.
pc_file = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(1)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    lib/robustfutex.pc.in >$(2)

# $(call dir_prune,DIRS): with DESTDIR, each DIR and its parents up to
# DESTDIR while empty; without, each DIR if empty.
dir_prune = for d in $(1); do \
	while [ "$$d" != "$(D)" ] && [ "$$d" != / ] && rmdir "$$d" 2>/dev/null; do \
		[ -n "$(D)" ] || break; d=$$(dirname "$$d"); done; done

install: install-module install-userspace

install-module: module
	@if [ -z "$(D)$(INSTALL_MOD_PATH)" ] && command -v dkms >/dev/null && \
	    dkms status -m robustfutex -k $(KVER) 2>/dev/null | grep -q ': installed'; then \
		echo "install: DKMS has robustfutex installed for $(KVER):" >&2; \
		dkms status -m robustfutex -k $(KVER) | sed 's/^/  /' >&2; \
		echo "  a second copy would shadow it or be shadowed: 'make dkms-uninstall'" >&2; \
		echo "  (or remove robustfutex-dkms) first, or 'make install-userspace' alone." >&2; \
		exit 1; fi
	install -D -m 644 robustfutex.ko $(KO_DIR)/robustfutex.ko
	$(if $(D),,depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER))

install-userspace: lib $(BUILT_OPT)
	install -d $(D)$(LIBDIR) $(D)$(PCDIR) $(D)$(INCLUDEDIR)/robustfutex
	install -m 644 include/robustfutex.h $(D)$(INCLUDEDIR)/robustfutex.h
	install -m 644 include/robustfutex/ioctl.h $(D)$(INCLUDEDIR)/robustfutex/ioctl.h
	install -m 644 $(B)/lib/librobustfutex.so $(D)$(LIBDIR)/$(LIBFILE)
	ln -sf $(LIBFILE) $(D)$(LIBDIR)/librobustfutex.so.$(SOVERSION)
	ln -sf librobustfutex.so.$(SOVERSION) $(D)$(LIBDIR)/librobustfutex.so
	install -m 644 $(B)/lib/librobustfutex.a $(D)$(LIBDIR)/librobustfutex.a
	$(call pc_file,$(LIBDIR),$(D)$(PCDIR)/robustfutex.pc)
ifneq ($(filter preload,$(BUILT_OPT)),)
	install -D -m 644 $(B)/lib/librobustfutex-pthread.so $(D)$(PRELOADDIR)/librobustfutex-pthread.so
endif
ifneq ($(filter tools,$(BUILT_OPT)),)
	install -D -m 755 $(B)/bin/rfctl $(D)$(SBINDIR)/rfctl
endif
ifneq ($(filter lib32,$(BUILT_OPT)),)
	install -d $(D)$(LIB32DIR)
	install -m 644 $(B)/lib32/librobustfutex.so $(D)$(LIB32DIR)/$(LIBFILE)
	ln -sf $(LIBFILE) $(D)$(LIB32DIR)/librobustfutex.so.$(SOVERSION)
	ln -sf librobustfutex.so.$(SOVERSION) $(D)$(LIB32DIR)/librobustfutex.so
	install -m 644 $(B)/lib32/librobustfutex.a $(D)$(LIB32DIR)/librobustfutex.a
	install -D -m 644 $(B)/lib32/librobustfutex-pthread.so $(D)$(PRELOAD32DIR)/librobustfutex-pthread.so
	install -d $(D)$(PC32DIR)
	$(call pc_file,$(LIB32DIR),$(D)$(PC32DIR)/robustfutex.pc)
endif
	@set -e; for m in $(MANPAGES); do \
		echo "install -D -m 644 $$m $(D)$(MANDIR)/man$${m##*.}/$${m##*/}"; \
		install -D -m 644 $$m $(D)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	@set -e; for s in $(SAMPLES); do \
		echo "install -D -m 644 etc/$$s $(D)$(DOCDIR)/examples/$$s"; \
		install -D -m 644 etc/$$s $(D)$(DOCDIR)/examples/$$s; done
	@$(foreach o,tools preload lib32,$(if $(filter $(o),$(BUILT_OPT)),,echo "install: $(o) not built (make $(o)), not installed";))
	$(if $(D),,ldconfig)

uninstall: uninstall-module uninstall-userspace

uninstall-module:
	rm -f $(addprefix $(KO_DIR)/robustfutex.ko,'' .xz .zst .gz)
	@$(call dir_prune,$(KO_DIR))
	$(if $(D),,depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER))

uninstall-userspace:
	rm -f $(D)$(INCLUDEDIR)/robustfutex.h $(D)$(INCLUDEDIR)/robustfutex/ioctl.h
	rm -f $(addprefix $(D)$(LIBDIR)/,$(LIBFILE) librobustfutex.so.$(SOVERSION) \
		librobustfutex.so librobustfutex.a)
	rm -f $(addprefix $(D)$(LIB32DIR)/,$(LIBFILE) librobustfutex.so.$(SOVERSION) \
		librobustfutex.so librobustfutex.a)
	rm -f $(D)$(PRELOADDIR)/librobustfutex-pthread.so $(D)$(PRELOAD32DIR)/librobustfutex-pthread.so
	rm -f $(D)$(PCDIR)/robustfutex.pc $(D)$(PC32DIR)/robustfutex.pc $(D)$(SBINDIR)/rfctl
	$(if $(MANPAGES),rm -f $(foreach m,$(MANPAGES),$(D)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))))
	rm -f $(addprefix $(D)$(DOCDIR)/examples/,$(SAMPLES))
	@$(call dir_prune,$(D)$(INCLUDEDIR)/robustfutex $(addprefix $(D)$(DOCDIR)/examples/,$(dir $(SAMPLES))) \
		$(D)$(DOCDIR)/examples $(D)$(DOCDIR) $(patsubst %/,%,$(dir $(D)$(DOCDIR))) $(D)$(PCDIR) $(D)$(PC32DIR) \
		$(filter-out $(D)$(LIBDIR) $(D)$(LIB32DIR),$(D)$(PRELOADDIR) $(D)$(PRELOAD32DIR)) \
		$(sort $(foreach m,$(MANPAGES),$(D)$(MANDIR)/man$(subst .,,$(suffix $(m))))) \
		$(if $(D),$(D)$(LIBDIR) $(D)$(LIB32DIR) $(D)$(SBINDIR) $(D)$(INCLUDEDIR)))
	$(if $(D),,ldconfig)

# ---- DKMS --------------------------------------------------------------------
# What DKMS builds from, and nothing else (no objects, tests or reports):
# dkms-install copies it to /usr/src/robustfutex-VERSION; the Debian
# package stages it with DESTDIR.
DKMS_FILES := Kbuild Makefile dkms.conf $(wildcard module/*.[ch]) \
	$(wildcard include/*.h include/robustfutex/*.h)
dkms-source:
	rm -rf $(D)$(DKMS_SRC)
	@set -e; for f in $(DKMS_FILES); do \
		install -D -m 644 $$f $(D)$(DKMS_SRC)/$$f; done
	@echo "dkms-source: $(words $(DKMS_FILES)) files in $(D)$(DKMS_SRC)"

# Both refuse to touch a tree the robustfutex-dkms package owns.
dkms_pkg_check = if dpkg-query -S $(DKMS_SRC)/dkms.conf >/dev/null 2>&1; then \
	echo "$@: $(DKMS_SRC) belongs to a package ($$(dpkg-query -S $(DKMS_SRC)/dkms.conf | cut -d: -f1)): use apt" >&2; exit 1; fi

dkms-install:
	@test -z "$(D)" || { echo "dkms-install: DKMS installs into this system, not into DESTDIR" >&2; exit 2; }
	@$(dkms_pkg_check)
	@for f in $(KO_DIR)/robustfutex.ko*; do [ -e "$$f" ] || continue; \
		echo "dkms-install: removing $$f, make install's copy: DKMS's replaces it"; \
		rm -f "$$f"; done; rmdir $(KO_DIR) 2>/dev/null || true
	$(MAKE) --no-print-directory dkms-source DESTDIR=
	@dkms remove robustfutex/$(VERSION) --all >/dev/null 2>&1 || true
	dkms add robustfutex/$(VERSION)
	dkms build robustfutex/$(VERSION) -k $(KVER) $(if $(filter command line,$(origin KDIR)),--kernelsourcedir $(KDIR))
	dkms install robustfutex/$(VERSION) -k $(KVER)

dkms-uninstall:
	@$(dkms_pkg_check)
	-dkms remove robustfutex/$(VERSION) --all
	rm -rf $(DKMS_SRC)

clean:
	rm -rf $(B)
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
