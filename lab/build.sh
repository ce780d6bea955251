#!/bin/bash
# lab/build.sh - build the module for one test kernel, and the userspace.
#
# The module is built as a machine installs it, by DKMS (lab/dkms.sh: `make
# dkms-install` for that kernel, which runs kbuild from the top-level Kbuild
# file).  Every kernel gets its own fresh copy of the source tree, so builds
# for different kernels never share objects: on the host under
# $LAB_BUILD/<kver>, for chroot kernels at /build/aioring-<tag> inside the
# suite's chroot, built there with the suite's own compiler and DKMS (with
# /proc mounted for the duration: 7.x's objtool needs it).  A build that
# prints any warning (compiler, modpost or DKMS) counts as failed.  A
# stand-in source without dkms.conf (LAB_MODULE_SRC) is built with plain
# kbuild.
#
# The userspace (lib/, tests/, examples/) is built once on the host: static
# glibc binaries run on every guest kernel.
#
# Source overrides for trying the lab before the real pieces exist:
# LAB_MODULE_SRC=DIR builds the module from DIR instead of the repository.
#
# Run directly: lab/build.sh SERIES (module) or lab/build.sh userspace.

set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$LAB_DIR/dkms.sh"

LAB_MODULE_SRC=${LAB_MODULE_SRC:-$REPO_DIR}

# copy_source DEST - fresh copy of the module source tree, without build
# outputs, version control or the lab's own files.
copy_source() {
	local dest=$1
	rm -rf "$dest"
	mkdir -p "$dest"
	tar -C "$LAB_MODULE_SRC" -cf - \
		--exclude=./.git --exclude=./lab --exclude=./.ci \
		--exclude=./tests/build --exclude=./examples/build --exclude=./fio/build \
		--exclude='*.o' --exclude='*.ko' --exclude='*.a' --exclude='*.so' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' \
		--exclude=Module.symvers --exclude=modules.order --exclude=.tmp_versions \
		. | tar -C "$dest" -xf -
}

# kbuild_in_chroot CHROOT HDR SRC LOG - make modules inside the chroot, with
# /proc mounted there only while make runs (unmounted on any exit).
kbuild_in_chroot() {
	local root=$1 hdr=$2 src=$3 logfile=$4
	(
		if ! mountpoint -q "$root/proc"; then
			mount -t proc proc "$root/proc"
			trap 'umount "$root/proc" || umount -l "$root/proc"' EXIT
		fi
		chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LC_ALL=C \
			make -j"$(nproc)" -C "$hdr" M="$src" modules
	) >"$logfile" 2>&1
}

# build_module SERIES - build aioring.ko for the kernel SERIES (prepared by
# kernels.sh): through DKMS (dkms.sh), or with plain kbuild for a stand-in
# source without a dkms.conf.  Leaves $LAB_BUILD/<kver>/aioring.ko and
# build.log; returns nonzero if the build failed or printed a warning.
build_module() {
	local series=$1 out src rc=0
	# shellcheck disable=SC1090
	. "$LAB_CACHE/kernels/$series.env"
	out="$LAB_BUILD/$KVER"
	mkdir -p "$out"
	rm -f "$out/aioring.ko" "$out/build.log"
	if [ -e "$LAB_MODULE_SRC/dkms.conf" ]; then
		log "building module for $KVER (dkms add/build/install${CHROOT:+ in $(basename "$CHROOT")})"
		dkms_build_module "$series" || rc=$?
	elif [ -n "$CHROOT" ]; then
		log "building module for $KVER"
		# One directory per $LAB_BUILD, so two lab runs (two worktrees)
		# sharing the cached chroots never build in the same place.
		src=/build/aioring-$(printf '%s' "$LAB_BUILD" | md5sum | cut -c1-8)
		copy_source "$CHROOT$src"
		kbuild_in_chroot "$CHROOT" "$KHDR" "$src" "$out/build.log" || rc=$?
		[ ! -e "$CHROOT$src/aioring.ko" ] || cp "$CHROOT$src/aioring.ko" "$out/aioring.ko"
	else
		log "building module for $KVER"
		src="$out/src"
		copy_source "$src"
		make -j"$(nproc)" -C "$KHDR" M="$src" modules >"$out/build.log" 2>&1 || rc=$?
		[ ! -e "$src/aioring.ko" ] || cp "$src/aioring.ko" "$out/aioring.ko"
	fi
	if [ "$rc" -ne 0 ] || [ ! -e "$out/aioring.ko" ]; then
		log "module build for $KVER FAILED (log: $out/build.log)"
		tail -n 40 "$out/build.log" | sed 's/^/    | /' >&2
		return 1
	fi
	if grep -qi warning "$out/build.log"; then
		log "module build for $KVER printed warnings (log: $out/build.log):"
		grep -i -A3 warning "$out/build.log" | head -n 60 | sed 's/^/    | /' >&2
		return 1
	fi
	log "module for $KVER built"
}

# build_userspace - lib, tests, examples on the host (static binaries).
build_userspace() {
	local logfile="$LAB_BUILD/userspace.log" d
	mkdir -p "$LAB_BUILD"
	: >"$logfile"
	log "building userspace (lib, lib/aio, tests, examples, tools)"
	for d in lib lib/aio tests examples tools; do
		if ! make -C "$REPO_DIR/$d" >>"$logfile" 2>&1; then
			log "userspace build FAILED in $d/ (log: $logfile)"
			tail -n 40 "$logfile" | sed 's/^/    | /' >&2
			return 1
		fi
	done
	log "userspace built"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-}" in
	userspace) build_userspace ;;
	"") die "usage: $0 SERIES|userspace" ;;
	*) build_module "$1" ;;
	esac
fi
