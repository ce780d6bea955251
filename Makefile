# SPDX-License-Identifier: GPL-2.0
#
# Top-level Makefile of aioring: a thin wrapper over kbuild (which reads
# ./Kbuild) and the userspace sub-makes, in the manner of
# wireguard-linux-compat's src/Makefile.
#
#   make [module]          aioring.ko for the running kernel (KDIR= to change)
#   make lib|tests|examples  (lib includes lib/aio, the libaio shim)
#   make check             build and test on Debian kernels in QEMU (lab/),
#                          KERNELS="5.10 6.1 6.12 7.2" by default
#   make demo              boot one kernel (DEMO_KERNEL=6.1) and run ring-cat
#   make bench             the benchmark in 6.1 and 6.12 guests (bench/README.md)
#   make fio-engine        fio/aioring-fio.so, a fio ioengine=external: engine, built
#                          against the source of the installed fio (fio/README.md)
#   make check-debug       the suite on a KASAN/lockdep/kmemleak 6.1 kernel built
#                          once from linux-source-6.1 (~20 min on 2 cores; not CI)
#   make install           modules_install + libaioring install
#   make dkms-install      copy the source to /usr/src and dkms add/build/install
#   make dkms-uninstall    dkms remove and delete the copy
#   make sparse            static analysis of the module (sparse, C=2)
#   make clean

KDIR ?= /lib/modules/$(shell uname -r)/build
DESTDIR ?=
PREFIX ?= /usr/local

# Name and version come from dkms.conf, the one place that states them.
DKMS_NAME := $(or $(shell sed -n 's/^PACKAGE_NAME="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' dkms.conf 2>/dev/null),aioring)
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' dkms.conf 2>/dev/null)
DKMS_DIR := $(DESTDIR)/usr/src/$(DKMS_NAME)-$(DKMS_VERSION)
# What DKMS needs to build the module (and nothing of the userspace).
DKMS_SOURCES := Kbuild Makefile dkms.conf module uapi

all: module

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

module-install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

sparse:
	@command -v sparse >/dev/null || { echo "sparse not found: apt-get install sparse" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 modules

lib:
	$(MAKE) -C lib
	$(MAKE) -C lib/aio

tests: lib
	$(MAKE) -C tests

examples: lib
	$(MAKE) -C examples

check:
	bash lab/check.sh check

demo:
	bash lab/check.sh demo

check-debug:
	bash lab/check-debug.sh

install: module-install
	$(MAKE) -C lib install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C lib/aio install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	install -D -m 0644 packaging/60-aioring.rules $(DESTDIR)/etc/udev/rules.d/60-aioring.rules
	install -D -m 0644 packaging/aioring.conf $(DESTDIR)/etc/modprobe.d/aioring.conf
	install -D -m 0644 man/aioring.7 $(DESTDIR)$(PREFIX)/share/man/man7/aioring.7
	install -D -m 0644 man/libaioring.3 $(DESTDIR)$(PREFIX)/share/man/man3/libaioring.3

dkms-install:
	@test -n "$(DKMS_VERSION)" || { echo "no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	rm -rf $(DKMS_DIR)
	install -d $(DKMS_DIR)
	cp -r $(DKMS_SOURCES) $(DKMS_DIR)/
	dkms add -m $(DKMS_NAME) -v $(DKMS_VERSION)
	dkms build -m $(DKMS_NAME) -v $(DKMS_VERSION)
	dkms install -m $(DKMS_NAME) -v $(DKMS_VERSION)

dkms-uninstall:
	@test -n "$(DKMS_VERSION)" || { echo "no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	-dkms remove -m $(DKMS_NAME) -v $(DKMS_VERSION) --all
	rm -rf $(DKMS_DIR)

# kbuild's clean needs the headers; without them remove its outputs by name.
clean:
	if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; else \
		find . -path ./.git -prune -o \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
			-o -name '*.mod.c' -o -name '.*.cmd' \) -type f -print0 | xargs -0 rm -f; \
		rm -f Module.symvers modules.order; fi
	$(MAKE) -C lib clean
	$(MAKE) -C lib/aio clean
	$(MAKE) -C tests clean
	$(MAKE) -C examples clean

.PHONY: all module module-install sparse lib tests examples check check-debug demo install \
	dkms-install dkms-uninstall clean

# The benchmark (lab/bench.sh): tables in bench/results/<kernel>.txt.
bench:
	bash lab/bench.sh

.PHONY: bench

# The fio engine (fio/README.md): fio/aioring-fio.so for the installed fio.
fio-engine:
	$(MAKE) -C fio

.PHONY: fio-engine
