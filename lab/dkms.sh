# shellcheck shell=bash
# lab/dkms.sh - build the module for one test kernel the way a machine
# installs it: through DKMS, with the top-level Makefile's dkms-install.
#
# For each kernel, a fresh copy of the source gets `make dkms-install`
# (dkms add, build, install, status) against that kernel's headers, on the
# host for the host's series and inside the suite's chroot for the others,
# with `-k <kver>` so DKMS never looks at the running kernel.  DKMS's three
# trees (source, build, install) are private to the run: under
# $LAB_BUILD/<kver>/dkms-work on the host and /build/aioring-<hash>/ in a
# chroot.  The chroots and the host are shared by every lab run on the
# machine, and a module and version in DKMS's default trees would be one
# global slot that two runs would overwrite; the real /usr/src,
# /var/lib/dkms and /lib/modules are exercised by the aioring-dkms package
# instead (lab/deb.sh).
#
# The installed file (updates/dkms/aioring.ko, compressed if the kernel's
# modules are) is copied to $LAB_BUILD/<kver>/dkms/ and, decompressed, to
# $LAB_BUILD/<kver>/aioring.ko, which lab/initramfs.sh stages at
# /lib/modules/<kver>/updates/dkms/ for the guest's depmod and modprobe.
# Then `make dkms-uninstall` must remove it again, and the work area goes:
# the version never changes (0.1.0), so a stale build must never be reused.
#
# build.log holds dkms's output followed by DKMS's make.log; lab/build.sh
# fails the build on any warning in it.
#
# Sourced by lab/build.sh (which provides copy_source); run it through
# `lab/build.sh SERIES`.


# dkms_run ROOT CMD... - CMD on the host (ROOT empty) or in the chroot ROOT,
# with /proc mounted there while it runs (7.x's objtool needs it).
dkms_run() {
	local root=$1
	shift
	if [ -z "$root" ]; then
		"$@"
		return
	fi
	(
		if ! mountpoint -q "$root/proc"; then
			mount -t proc proc "$root/proc"
			trap 'umount "$root/proc" || umount -l "$root/proc"' EXIT
		fi
		chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"
	)
}

# dkms_ensure [ROOT] - dkms installed on the host or in the chroot ROOT.
# Chroots made before dkms was in kernels.sh's --include get it here; the
# lock keeps two runs from calling apt in one chroot at once.
dkms_ensure() {
	local root=${1:-}
	if [ -z "$root" ]; then
		apt_ensure dkms
		return
	fi
	# shellcheck disable=SC2016 # dpkg-query's own ${field} syntax
	if chroot "$root" dpkg-query -W -f='${Status}' dkms 2>/dev/null |
		grep -q 'install ok installed'; then
		return 0
	fi
	log "installing dkms in $(basename "$root") chroot"
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	(
		flock 9
		dkms_run "$root" apt-get install -y --no-install-recommends dkms ||
			{ dkms_run "$root" apt-get -o Acquire::Check-Valid-Until=false update &&
				dkms_run "$root" apt-get install -y --no-install-recommends dkms; }
	) 9>"$root.apt-lock" >"$LAB_CACHE/logs/dkms-$(basename "$root").log" 2>&1 ||
		die "cannot install dkms in $root (log: $LAB_CACHE/logs/dkms-$(basename "$root").log)"
}

# decompress_ko SRC DEST - a module file as the kernel loads it.
decompress_ko() {
	case "$1" in
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

# dkms_build_module SERIES - DKMS add/build/install/uninstall for one kernel
# (its .env from kernels.sh).  Leaves $LAB_BUILD/<kver>/{aioring.ko,
# dkms/aioring.ko*,build.log}; nonzero if any step failed.
dkms_build_module() {
	local series=$1 out root base work ko rc=0
	# shellcheck disable=SC1090
	. "$LAB_CACHE/kernels/$series.env"
	out="$LAB_BUILD/$KVER"
	root=$CHROOT
	if [ -n "$root" ]; then
		# One directory per $LAB_BUILD: two runs sharing a chroot never
		# meet.
		base=/build/aioring-$(printf '%s' "$LAB_BUILD" | md5sum | cut -c1-8)
	else
		base=$out/dkms-work
	fi
	work=$root$base
	dkms_ensure "$root"
	rm -rf "$work" "$out/dkms"
	copy_source "$work/src"
	local vars=(DKMS_SRCTREE="$base/usr-src" DKMS_TREE="$base/var-lib-dkms"
		DKMS_INSTALLTREE="$base/lib-modules" DKMS_KERNEL="$KVER")
	# DKMS finds the headers at <install tree>/<kver>/build (3.1 and
	# later) or /lib/modules/<kver>/build (older), as on a real machine.
	# --kernelsourcedir only where that does not exist (the debug kernel's
	# tree): DKMS 2.8 would then "prepare" the headers (make mrproper,
	# oldconfig) and change files of the chroot's headers package.
	mkdir -p "$work/lib-modules/$KVER"
	ln -s "$KHDR" "$work/lib-modules/$KVER/build"
	# (The build link in a chroot is absolute: test the link, not its
	# target, from the host.)
	[ -L "$root/lib/modules/$KVER/build" ] || [ -e "$root/lib/modules/$KVER/build" ] ||
		vars+=(DKMS_KSRC="$KHDR")
	dkms_run "$root" make -C "$base/src" --no-print-directory dkms-install "${vars[@]}" \
		>"$out/build.log" 2>&1 || rc=$?
	# DKMS keeps the compiler's output in make.log, not on stdout.
	cat "$work"/var-lib-dkms/aioring/*/"$KVER"/*/log/make.log >>"$out/build.log" 2>/dev/null || true
	if [ "$rc" -ne 0 ]; then
		rm -rf "$work"
		return 1
	fi
	if ! grep -F ", $KVER, " "$out/build.log" | grep -q ': installed$'; then
		echo "lab: dkms status does not say installed for $KVER" >>"$out/build.log"
		rc=1
	fi
	ko=$(find "$work/lib-modules/$KVER/updates/dkms" -name 'aioring.ko*' 2>/dev/null | head -n1)
	if [ -z "$ko" ]; then
		echo "lab: no aioring.ko under $base/lib-modules/$KVER/updates/dkms" >>"$out/build.log"
		rc=1
	else
		mkdir -p "$out/dkms"
		cp "$ko" "$out/dkms/"
		decompress_ko "$ko" "$out/aioring.ko"
	fi
	# Uninstall must leave nothing: no module, no DKMS tree entry.
	if ! dkms_run "$root" make -C "$base/src" --no-print-directory dkms-uninstall "${vars[@]}" \
		>>"$out/build.log" 2>&1; then
		echo "lab: make dkms-uninstall failed" >>"$out/build.log"
		rc=1
	elif [ -n "$(find "$work/lib-modules" "$work/var-lib-dkms" -mindepth 1 -name 'aioring*' 2>/dev/null)" ]; then
		echo "lab: make dkms-uninstall left files behind" >>"$out/build.log"
		rc=1
	fi
	rm -rf "$work"
	return "$rc"
}

