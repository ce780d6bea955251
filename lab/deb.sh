#!/bin/bash
# lab/deb.sh - the Debian packages: build them, lint them, install them.
#
#   lab/deb.sh build [OUTDIR]   `make deb`: dpkg-buildpackage -us -uc -b on a
#                               copy of the tree (the repository stays clean;
#                               dpkg-buildpackage writes to the parent
#                               directory), .debs and .changes in OUTDIR
#                               (default build/deb/)
#   lab/deb.sh lint OUTDIR      lintian on OUTDIR's .changes: any error fails,
#                               warnings are listed
#   lab/deb.sh install OUTDIR   `apt install ./*.deb` in a fresh bookworm
#                               chroot with linux-headers-amd64, then checks
#                               what a user gets, then purges
#   lab/deb.sh make-dkms        `make dkms-install`, `make dkms-uninstall`
#                               in such a chroot, with DKMS's own trees
#
# make check runs all four (deb_check, results deb-build, deb-lintian,
# deb-install, make-dkms-install under the userspace key).  The chroot starts from a base
# system made once by mmdebstrap and cached as $LAB_CACHE/deb-base/bookworm;
# each run mounts an overlay on it with an empty upper layer (a copy where
# overlayfs is missing), so every install is into a fresh system and the
# base is never written to.  The base holds what
# the packages depend on (dkms, adduser) and the headers of bookworm's
# kernel, so aioring-dkms's postinst really builds the module with DKMS, for
# that kernel: in a chroot the running kernel is not installed, and DKMS's
# postinst then builds for the kernels in /lib/modules.  The base also has
# gcc and pkg-config, to compile a program against libaioring-dev.

set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEB_BUILD_PACKAGES="dpkg-dev debhelper dh-dkms lintian"
DEB_BASE=${DEB_BASE:-$LAB_CACHE/deb-base/bookworm}
DEB_BASE_INCLUDE=linux-headers-amd64,dkms,adduser,kmod,gcc,libc6-dev,make,pkg-config

# deb_version - the package version: debian/changelog's.
deb_version() {
	dpkg-parsechangelog -l "$REPO_DIR/debian/changelog" -S Version
}

# deb_build OUTDIR - build the binary packages into OUTDIR.
deb_build() {
	local outdir=$1 tmp src rc=0
	# shellcheck disable=SC2086 # a list of words
	apt_ensure $DEB_BUILD_PACKAGES
	tmp=$(mktemp -d)
	src="$tmp/aioring-$(deb_version)"
	mkdir -p "$src" "$outdir"
	rm -f "$outdir"/*.deb "$outdir"/*.changes "$outdir"/*.buildinfo
	# The tree as it is (committed or not), without build outputs.
	tar -C "$REPO_DIR" -cf - --exclude=./.git --exclude=./build \
		--exclude=./tests/build --exclude=./examples/build \
		--exclude='*.o' --exclude='*.ko' --exclude='*.a' --exclude='*.so' \
		--exclude='*.so.*' --exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' \
		--exclude=Module.symvers --exclude=modules.order --exclude=./lib/libaioring.pc \
		. | tar -C "$src" -xf -
	log "building Debian packages (dpkg-buildpackage)"
	(cd "$src" && DEB_BUILD_OPTIONS=noddebs dpkg-buildpackage -us -uc -b) \
		>"$outdir/build.log" 2>&1 || rc=$?
	cp "$tmp"/*.deb "$tmp"/*.changes "$tmp"/*.buildinfo "$outdir"/ 2>/dev/null || true
	rm -rf "$tmp"
	if [ "$rc" -ne 0 ]; then
		log "dpkg-buildpackage FAILED (log: $outdir/build.log)"
		tail -n 30 "$outdir/build.log" | sed 's/^/    | /' >&2
		return 1
	fi
	log "packages: $(cd "$outdir" && echo *.deb)"
}

# deb_lint OUTDIR - lintian on the .changes (it covers every .deb and the
# .buildinfo); errors fail, warnings are shown.
deb_lint() {
	local outdir=$1 changes out rc=0
	apt_ensure lintian
	changes=$(echo "$outdir"/*.changes)
	[ -e "$changes" ] || { log "no .changes in $outdir"; return 1; }
	out=$(lintian --fail-on error --allow-root "$changes" 2>&1) || rc=$?
	printf '%s\n' "$out" >"$outdir/lintian.log"
	if [ -n "$out" ]; then
		log "lintian:"
		printf '%s\n' "$out" | sed 's/^/    | /' >&2
	fi
	return "$rc"
}

# deb_base - the cached base system, a bookworm directory tree (mmdebstrap).
# Nothing ever runs in it: each install test gets an overlay on top of it.
deb_base() {
	local main sec lines=()
	[ "${LAB_REFRESH:-0}" = 1 ] && stamp_clear "$DEB_BASE"
	stamp_ok "$DEB_BASE" && return 0
	main=$(mirror_main)
	sec=$(mirror_security)
	[ -n "$main" ] || die "no Debian mirror found in the host's apt sources"
	lines+=("deb $main bookworm main")
	[ -z "$sec" ] || lines+=("deb $sec bookworm-security main")
	log "creating the bookworm base for package installs (mmdebstrap, about a minute)"
	rm -rf "$DEB_BASE"
	mkdir -p "$(dirname "$DEB_BASE")"
	run_logged "$LAB_CACHE/logs/mmdebstrap-deb-base.log" \
		mmdebstrap --variant=apt --include="$DEB_BASE_INCLUDE" \
		bookworm "$DEB_BASE" "${lines[@]}" || die "mmdebstrap for the deb base failed"
	stamp_set "$DEB_BASE"
}

# deb_chroot_fresh ROOT - a fresh system at ROOT/merged: an overlay whose
# lower layer is the base (nothing written to it), or a copy of the base
# where overlayfs is missing.
deb_chroot_fresh() {
	local root=$1
	deb_chroot_clean "$root"
	mkdir -p "$root/upper" "$root/work" "$root/merged"
	if ! mount -t overlay overlay \
		-o "lowerdir=$DEB_BASE,upperdir=$root/upper,workdir=$root/work" "$root/merged" 2>/dev/null; then
		cp -a "$DEB_BASE"/. "$root/merged"/
	fi
	mount -t proc proc "$root/merged/proc"
}

# deb_chroot_clean ROOT - unmount and delete a package-test system.
deb_chroot_clean() {
	local root=$1 m
	[ -e "$root" ] || return 0
	for m in "$root/merged/proc" "$root/merged"; do
		! mountpoint -q "$m" || umount "$m" || umount -l "$m"
	done
	rm -rf --one-file-system "$root"
}

# The program compiled against libaioring-dev in the chroot: it must build
# with pkg-config's flags, link the shared library, and get -ENOENT from
# aioring_queue_init (there is no /dev/aioring in a chroot).
DEB_TEST_PROGRAM='#include <errno.h>
#include <stdio.h>
#include <libaioring.h>

int main(void)
{
	struct aioring ring;
	int ret = aioring_queue_init(8, &ring, 0);

	if (ret != -ENOENT) {
		fprintf(stderr, "aioring_queue_init: expected -ENOENT, got %d\n", ret);
		return 1;
	}
	printf("aioring_queue_init without the device: -ENOENT, as expected\n");
	return 0;
}'

# deb_install OUTDIR - apt install the packages into a fresh chroot, check
# them, purge them.  Output in OUTDIR/install.log.
deb_install() {
	local outdir=$1 root logf rc=0
	apt_ensure mmdebstrap
	deb_base
	root="$LAB_BUILD/deb-root"
	logf="$outdir/install.log"
	deb_chroot_fresh "$root"
	mkdir -p "$root/merged/tmp/debs"
	cp "$outdir"/*.deb "$root/merged/tmp/debs/"
	printf '%s\n' "$DEB_TEST_PROGRAM" >"$root/merged/tmp/prog.c"
	cp "$LAB_DIR/deb-install-check.sh" "$root/merged/tmp/check.sh"
	log "installing the packages in a fresh bookworm chroot"
	chroot "$root/merged" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C DEBIAN_FRONTEND=noninteractive sh /tmp/check.sh >"$logf" 2>&1 || rc=$?
	deb_chroot_clean "$root"
	if [ "$rc" -ne 0 ]; then
		log "package install check FAILED (log: $logf)"
		grep -E '^(check|FAIL)' "$logf" | tail -n 20 | sed 's/^/    | /' >&2
		tail -n 20 "$logf" | sed 's/^/    | /' >&2
		return 1
	fi
	log "packages install, work and purge cleanly ($(grep -c '^check: ok' "$logf") checks)"
}

# make_dkms_check - `make dkms-install` and `make dkms-uninstall` with
# DKMS's own trees (/usr/src, /var/lib/dkms, /lib/modules), as an admin runs
# them, in a fresh bookworm system from the same base (the lab's module
# builds use private trees).  Output in $LAB_BUILD/make-dkms.log.
make_dkms_check() {
	local root="$LAB_BUILD/dkms-root" logf="$LAB_BUILD/make-dkms.log" rc=0
	deb_base
	deb_chroot_fresh "$root"
	mkdir -p "$root/merged/root/src"
	tar -C "$REPO_DIR" -cf - Kbuild Makefile dkms.conf module uapi |
		tar -C "$root/merged/root/src" -xf -
	log "make dkms-install / dkms-uninstall in a fresh bookworm chroot"
	# shellcheck disable=SC2016 # expanded by the chroot's sh
	chroot "$root/merged" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C sh -ec '
		cd /root/src
		kver=$(ls /lib/modules | head -n1)
		make dkms-install DKMS_KERNEL="$kver"
		dkms status -m aioring -k "$kver" | grep -q ": installed$"
		ls /lib/modules/"$kver"/updates/dkms/aioring.ko*
		make dkms-uninstall
		test -z "$(dkms status -m aioring)"
		test ! -e /usr/src/aioring-* && test ! -e /var/lib/dkms/aioring
		! ls /lib/modules/"$kver"/updates/dkms/aioring.ko* 2>/dev/null
		echo "make dkms-install/dkms-uninstall: ok"' >"$logf" 2>&1 || rc=$?
	deb_chroot_clean "$root"
	if [ "$rc" -ne 0 ]; then
		log "make dkms-install check FAILED (log: $logf)"
		tail -n 20 "$logf" | sed 's/^/    | /' >&2
	fi
	return "$rc"
}

# deb_check - make check's part: build, lint, install; results under the
# userspace key (record comes from check.sh).
deb_check() {
	local outdir="$LAB_BUILD/deb" t0
	t0=$(date +%s)
	if (deb_build "$outdir"); then
		record userspace PASS deb-build
		if (deb_lint "$outdir"); then
			record userspace PASS deb-lintian
		else
			record userspace FAIL deb-lintian
		fi
		if (deb_install "$outdir"); then
			record userspace PASS deb-install
		else
			record userspace FAIL deb-install
		fi
	else
		record userspace FAIL deb-build
		record userspace FAIL deb-lintian
		record userspace FAIL deb-install
	fi
	if (make_dkms_check); then
		record userspace PASS make-dkms-install
	else
		record userspace FAIL make-dkms-install
	fi
	log "Debian packages and make dkms-install: $(( $(date +%s) - t0 ))s"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-}" in
	build) deb_build "${2:-$REPO_DIR/build/deb}" ;;
	lint) deb_lint "${2:-$REPO_DIR/build/deb}" ;;
	install)
		[ "$(id -u)" -eq 0 ] || die "installing into a chroot needs root"
		deb_install "${2:-$REPO_DIR/build/deb}"
		;;
	make-dkms)
		[ "$(id -u)" -eq 0 ] || die "installing into a chroot needs root"
		make_dkms_check
		;;
	*) die "usage: $0 build|lint|install [OUTDIR] | make-dkms" ;;
	esac
fi
