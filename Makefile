# robustfutex: module, library, tests.
#
#   make [module]        build the module for KDIR (default: running kernel)
#   make lib tests       userspace library, tools and test programs in build/
#   make install         install module (modules_install) and library
#   make dkms-install    register, build and install through DKMS
#   make check           the test suite in QEMU on 6.1, 6.12 and a debug kernel
#   make demo            the demo and comparison against mainline in QEMU

VERSION := 0.1.0
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
PREFIX ?= /usr/local
CC ?= cc
B := build

CFLAGS ?= -O2 -g
RF_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -D_GNU_SOURCE \
	-Iuapi -Ilib -I$(B)/include -pthread

# kselftest_harness.h casts pointers to long long and passes NULL to %s.
TEST_CFLAGS := -Wno-pointer-to-int-cast -Wno-format-overflow
TESTS := $(patsubst tests/%.c,%,$(wildcard tests/t_*.c))
TEST_HDRS := $(wildcard tests/*.h) uapi/linux/robustfutex.h

.PHONY: all module lib tests check demo install dkms-install clean
all: module lib tests

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

$(B)/include/kselftest_harness.h: tests/harness.sh
	tests/harness.sh $(B)/include

tests: $(addprefix $(B)/tests/,$(TESTS)) $(addprefix $(B)/tests32/,$(TESTS))
	@touch $(B)/.built

$(B)/tests/t_%: tests/t_%.c $(TEST_HDRS) $(B)/include/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(RF_CFLAGS) $(TEST_CFLAGS) -o $@ $< $(LDLIBS)

$(B)/tests32/t_%: tests/t_%.c $(TEST_HDRS) $(B)/include/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) -m32 $(CFLAGS) $(RF_CFLAGS) $(TEST_CFLAGS) -o $@ $< $(LDLIBS)

check:
	tests/run-all

demo:
	tests/demo

install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -a $(KVER)

dkms-install:
	rsync -a --delete --exclude=build --exclude=.git ./ /usr/src/robustfutex-$(VERSION)/
	dkms add -m robustfutex -v $(VERSION) || true
	dkms build -m robustfutex -v $(VERSION) -k $(KVER) --force
	dkms install -m robustfutex -v $(VERSION) -k $(KVER) --force

clean:
	rm -rf $(B)
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
