# SPDX-License-Identifier: GPL-2.0
#
# Top-level Makefile of aioring: a thin wrapper over kbuild (which reads
# ./Kbuild) and the userspace sub-makes, in the manner of
# wireguard-linux-compat's src/Makefile.
#
#   make [module]          aioring.ko for the running kernel (KDIR= to change)
#   make lib|tests|examples|tools  (lib includes lib/aio, the libaio shim)
#   make check             build and test on Debian kernels in QEMU (lab/),
#                          KERNELS="5.10 6.1 6.12 7.2" by default
#   make demo              boot one kernel (DEMO_KERNEL=6.1) and run ring-cat
#   make bench             the benchmark in 6.1 and 6.12 guests (bench/README.md)
#   make fio-engine        fio/aioring-fio.so, a fio ioengine=external: engine, built
#                          against the source of the installed fio (fio/README.md)
#   make check-debug       the suite on a KASAN/lockdep/kmemleak 6.1 kernel built
#                          once from linux-source-6.1 (~20 min on 2 cores; not CI)
#   make coverage          check-debug with a gcov-built module: lines and branches
#                          of module/*.c the suite runs, in build-coverage/coverage.txt
#   make check-rt          the suite on Debian's PREEMPT_RT kernels (the rt-amd64
#                          flavour) of KERNELS; not CI (lab/README.md: what it costs)
#   make fuzz              tests/fuzz with 10^6 operations (FUZZ_OPS, FUZZ_SEED; one
#                          round: FUZZ_REPLAY) on one kernel (LONG_KERNEL=6.1); not CI
#   make soak              tests/kill-soak with 1000 kills (SOAK_KILLS) on LONG_KERNEL
#   make install           modules_install + libaioring install
#   make dkms-install      copy the source to /usr/src and dkms add/build/install
#                          (for the running kernel; DKMS_KERNEL= for another)
#   make dkms-uninstall    dkms remove and delete the copy
#   make deb               Debian packages aioring-dkms, libaioring1,
#                          libaioring-dev in build/deb/ (lab/deb.sh)
#   make sparse            static analysis of the module (sparse, C=2)
#   make clean

KDIR ?= /lib/modules/$(shell uname -r)/build
DESTDIR ?=
PREFIX ?= /usr/local

# Name and version come from dkms.conf, the one place that states them.
DKMS_NAME := $(or $(shell sed -n 's/^PACKAGE_NAME="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' dkms.conf 2>/dev/null),aioring)
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' dkms.conf 2>/dev/null)
# What DKMS needs to build the module (and nothing of the userspace).
DKMS_SOURCES := Kbuild Makefile dkms.conf module uapi
# Where dkms-install puts things. By default DKMS's own trees (/usr/src,
# /var/lib/dkms, /lib/modules) and the running kernel; the lab (lab/dkms.sh)
# sets DKMS_TREE and DKMS_INSTALLTREE to private directories (then nothing
# runs depmod on the real /lib/modules), DKMS_KERNEL to the kernel to build
# for and DKMS_KSRC to its headers.
DKMS_SRCTREE ?= /usr/src
DKMS_TREE ?=
DKMS_INSTALLTREE ?=
DKMS_KERNEL ?=
DKMS_KSRC ?=
DKMS_DIR := $(DKMS_SRCTREE)/$(DKMS_NAME)-$(DKMS_VERSION)
DKMS_OPTS := -m $(DKMS_NAME) -v $(DKMS_VERSION) --sourcetree $(DKMS_SRCTREE) \
	$(if $(DKMS_TREE),--dkmstree $(DKMS_TREE)) \
	$(if $(DKMS_INSTALLTREE),--installtree $(DKMS_INSTALLTREE) --no-depmod)
DKMS_KOPTS := $(if $(DKMS_KERNEL),-k $(DKMS_KERNEL)) $(if $(DKMS_KSRC),--kernelsourcedir $(DKMS_KSRC))

all: module

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

module-install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install $(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR))

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

tools:
	$(MAKE) -C tools

check:
	bash lab/check.sh check

demo:
	bash lab/check.sh demo

check-debug:
	bash lab/check-debug.sh

coverage:
	bash lab/coverage.sh

check-rt:
	bash lab/check-rt.sh

# The long runs of tests/fuzz and tests/kill-soak: one guest (lab/quick.sh)
# whose tests get the environment in LAB_GUEST_ENV (lab/initramfs.sh), with
# time for it. The tests size themselves by AIORING_TEST_TIMEOUT.
LONG_KERNEL ?= 6.1
FUZZ_OPS ?= 1000000
SOAK_KILLS ?= 1000
fuzz:
	LAB_TIMEOUT=$${LAB_TIMEOUT:-7800} LAB_GUEST_ENV="AIORING_TEST_TIMEOUT=7200 \
		AIORING_FUZZ_OPS=$(FUZZ_OPS) AIORING_FUZZ_TRACE=1 $(if $(FUZZ_SEED),AIORING_FUZZ_SEED=$(FUZZ_SEED)) \
		$(if $(FUZZ_REPLAY),AIORING_FUZZ_REPLAY=$(FUZZ_REPLAY))" \
		bash lab/quick.sh $(LONG_KERNEL) fuzz

soak:
	LAB_TIMEOUT=$${LAB_TIMEOUT:-4200} LAB_GUEST_ENV="AIORING_TEST_TIMEOUT=3600 \
		AIORING_SOAK_KILLS=$(SOAK_KILLS)" bash lab/quick.sh $(LONG_KERNEL) kill-soak

install: module-install
	$(MAKE) -C lib install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C lib/aio install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	install -D -m 0644 packaging/60-aioring.rules $(DESTDIR)/etc/udev/rules.d/60-aioring.rules
	install -D -m 0644 packaging/aioring.conf $(DESTDIR)/etc/modprobe.d/aioring.conf
	for page in $(wildcard man/*.[137]); do \
		install -D -m 0644 $$page $(DESTDIR)$(PREFIX)/share/man/man$${page##*.}/$${page##*/} || exit 1; \
	done
	$(MAKE) -C tools install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	if [ -z "$(DESTDIR)" ]; then ldconfig; fi

# dkms-src: a fresh copy of the module source (no build outputs) as
# $(DKMS_DIR), what DKMS builds from (also used by debian/rules).
# dkms-install uninstalls first, so a rebuild never reuses a stale build of
# the same version.
dkms-src:
	install -d $(DKMS_DIR)
	cp -r $(DKMS_SOURCES) $(DKMS_DIR)/
	find $(DKMS_DIR) \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.a' -o -name '*.order' -o -name '*.symvers' \) -type f -delete

dkms-install:
	$(MAKE) --no-print-directory dkms-uninstall
	$(MAKE) --no-print-directory dkms-src
	$(if $(DKMS_TREE)$(DKMS_INSTALLTREE),install -d $(DKMS_TREE) $(if $(DKMS_INSTALLTREE),$(DKMS_INSTALLTREE)/$(DKMS_KERNEL)))
	dkms add $(DKMS_OPTS)
	dkms build $(DKMS_OPTS) $(DKMS_KOPTS)
	dkms install $(DKMS_OPTS) $(DKMS_KOPTS)
	dkms status $(DKMS_OPTS)

dkms-uninstall:
	@test -n "$(DKMS_VERSION)" || { echo "no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	@command -v dkms >/dev/null || { echo "dkms not found: apt-get install dkms" >&2; exit 1; }
	if dkms status $(DKMS_OPTS) 2>/dev/null | grep -q .; then dkms remove $(DKMS_OPTS) --all; fi
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
	$(MAKE) -C tools clean
	$(MAKE) -C fio clean

.PHONY: tools
.PHONY: all module module-install sparse lib tests examples check check-debug coverage check-rt fuzz soak demo install \
	dkms-src dkms-install dkms-uninstall clean

# Debian packages (debian/, dh with dh-dkms) built by lab/deb.sh from a copy
# of the tree: aioring-dkms, libaioring1, libaioring-dev in build/deb/.
deb:
	bash lab/deb.sh build

.PHONY: deb

# The benchmark (lab/bench.sh): tables in bench/results/<kernel>.txt.
bench:
	bash lab/bench.sh

.PHONY: bench

# The fio engine (fio/README.md): fio/aioring-fio.so for the installed fio.
fio-engine:
	$(MAKE) -C fio

.PHONY: fio-engine
