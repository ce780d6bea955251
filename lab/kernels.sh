#!/bin/bash
# lab/kernels.sh - fetch the test kernels and their build environments.
#
# For each kernel series (5.10, 6.1, 6.12, 7.2) this provides three things:
# headers to build the module against, the kernel image (vmlinuz) and the
# kernel's own modules (virtio-blk, ext4, ... for the initramfs).
#
#  * The host's series (6.1 on bookworm) builds on the host against
#    linux-headers-amd64 installed with apt.
#  * The other series need their suite's compiler, so each gets an
#    mmdebstrap chroot of its suite (plus its security suite, which carries
#    the newest kernels) with make, gcc and linux-headers-amd64 in it.
#
# The ABI name (e.g. 6.1.0-56-amd64) is never written down: it is read from
# the Depends of the installed linux-headers-amd64, and the matching image
# package is fetched with `apt-get download` and unpacked with `dpkg -x`.
# Results are cached under $LAB_CACHE with stamp files; LAB_REFRESH=1 redoes
# the chroots and downloads (to pick up a newer kernel).
#
# kernel_prepare SERIES writes $LAB_CACHE/kernels/SERIES.env, which the
# other steps source:
#   KVER     kernel release (uname -r, the modules directory name)
#   KROOT    where the image packages were unpacked
#   VMLINUZ  the bootable kernel image
#   KMODDIR  the kernel's modules (.../lib/modules/KVER)
#   CHROOT   build chroot, empty when building on the host
#   KHDR     headers directory, as seen from inside CHROOT (or the host)
#
# Run directly: lab/kernels.sh [SERIES...] prepares the given (or all) kernels.

set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

APTOPT_VALID='Acquire::Check-Valid-Until "false"'

# in_chroot DIR CMD... - run CMD inside the chroot with a clean environment.
in_chroot() {
	local dir=$1
	shift
	chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"
}

# chroot_ensure SUITE - create (once) the build chroot for SUITE.
chroot_ensure() {
	local suite=$1 dir="$LAB_CACHE/chroots/$1" main sec
	local lines=()
	[ "${LAB_REFRESH:-0}" = 1 ] && stamp_clear "$dir"
	stamp_ok "$dir" && return 0
	main=$(mirror_main)
	sec=$(mirror_security)
	[ -n "$main" ] || die "no Debian mirror found in the host's apt sources"
	lines+=("deb $main $suite main")
	if [ "$suite" != sid ] && [ -n "$sec" ]; then
		lines+=("deb $sec $suite-security main")
	fi
	log "creating $suite build chroot (mmdebstrap, about a minute)"
	rm -rf "$dir"
	mkdir -p "$LAB_CACHE/chroots"
	# Keep the apt lists: they are needed to download the kernel image.
	run_logged "$LAB_CACHE/logs/mmdebstrap-$suite.log" \
		mmdebstrap --variant=apt \
		--include=make,gcc,libc6-dev,linux-headers-amd64,kmod,dkms \
		--aptopt="$APTOPT_VALID" --skip=cleanup/apt/lists \
		"$suite" "$dir" "${lines[@]}" ||
		die "mmdebstrap $suite failed"
	stamp_set "$dir"
	log "$suite chroot ready"
}

# headers_abi DPKG-QUERY-CMD... - ABI of the installed linux-headers-amd64.
headers_abi() {
	# shellcheck disable=SC2016 # dpkg-query's own ${field} syntax
	"$@" -W -f='${Depends}\n' linux-headers-amd64 |
		grep -o 'linux-headers-[^ ,]*' | head -n1 | sed 's/^linux-headers-//'
}

# image_packages ABI APT-CACHE-CMD... - package names holding the kernel image
# and modules: linux-binary + linux-modules on 7.x, else the unsigned image
# (no signed-image indirection), else the plain image.
image_packages() {
	local abi=$1
	shift
	if "$@" show "linux-binary-$abi" >/dev/null 2>&1; then
		echo "linux-binary-$abi linux-modules-$abi"
	elif "$@" show "linux-image-$abi-unsigned" >/dev/null 2>&1; then
		echo "linux-image-$abi-unsigned"
	else
		echo "linux-image-$abi"
	fi
}

# unpack_image SERIES ABI DEBDIR - dpkg -x the downloaded image debs into
# $LAB_CACHE/kernels/ABI and write the SERIES.env file.
unpack_image() {
	local series=$1 abi=$2 debdir=$3 root="$LAB_CACHE/kernels/$2" deb
	if ! stamp_ok "$root"; then
		rm -rf "$root"
		mkdir -p "$root"
		for deb in "$debdir"/*.deb; do
			dpkg -x "$deb" "$root"
		done
		stamp_set "$root"
	fi
}

# write_env SERIES ABI CHROOT - locate image and modules, write SERIES.env.
write_env() {
	local series=$1 abi=$2 chroot=$3 root="$LAB_CACHE/kernels/$2"
	local moddir vmlinuz kver
	moddir=$(find "$root/lib/modules" "$root/usr/lib/modules" -mindepth 1 -maxdepth 1 \
		-type d -name "$abi" 2>/dev/null | head -n1 || true)
	[ -n "$moddir" ] || die "no modules directory for $abi in $root"
	kver=$(basename "$moddir")
	for vmlinuz in "$root/boot/vmlinuz-$kver" "$moddir/vmlinuz" ""; do
		[ -z "$vmlinuz" ] || [ -e "$vmlinuz" ] && break
	done
	[ -n "$vmlinuz" ] || die "no vmlinuz for $kver in $root"
	cat >"$LAB_CACHE/kernels/$series.env" <<-EOF
		KSERIES=$series
		KVER=$kver
		KROOT=$root
		VMLINUZ=$vmlinuz
		KMODDIR=$moddir
		CHROOT=$chroot
		KHDR=/usr/src/linux-headers-$abi
	EOF
}

# prepare_host SERIES - the host's own kernel series.
prepare_host() {
	local series=$1 abi pkgs debdir
	apt_ensure linux-headers-amd64
	abi=$(headers_abi dpkg-query)
	if [ -z "$abi" ] || [ ! -d "/usr/src/linux-headers-$abi" ]; then
		die "linux-headers-amd64 installed but no headers directory for '$abi'"
	fi
	debdir="$LAB_CACHE/debs/$abi"
	if [ "${LAB_REFRESH:-0}" = 1 ]; then stamp_clear "$debdir"; stamp_clear "$LAB_CACHE/kernels/$abi"; fi
	if ! stamp_ok "$debdir"; then
		pkgs=$(image_packages "$abi" apt-cache)
		log "downloading $pkgs"
		rm -rf "$debdir"
		mkdir -p "$debdir"
		# apt-get download runs unsandboxed as root; a stale list is
		# refreshed once and the download retried.
		# shellcheck disable=SC2086
		if ! run_logged "$LAB_CACHE/logs/download-$abi.log" \
			sh -c "cd '$debdir' && apt-get download $pkgs"; then
			run_logged "$LAB_CACHE/logs/apt-update.log" apt-get update ||
				die "apt-get update failed"
			run_logged "$LAB_CACHE/logs/download-$abi.log" \
				sh -c "cd '$debdir' && apt-get download $pkgs" ||
				die "cannot download $pkgs"
		fi
		stamp_set "$debdir"
	fi
	unpack_image "$series" "$abi" "$debdir"
	write_env "$series" "$abi" ""
}

# prepare_chroot SERIES SUITE - a kernel built in its suite's chroot.
prepare_chroot() {
	local series=$1 suite=$2 dir="$LAB_CACHE/chroots/$2" abi pkgs debdir
	chroot_ensure "$suite"
	abi=$(headers_abi in_chroot "$dir" dpkg-query)
	if [ -z "$abi" ] || [ ! -d "$dir/usr/src/linux-headers-$abi" ]; then
		die "no linux headers found in the $suite chroot"
	fi
	debdir="$LAB_CACHE/debs/$abi"
	if [ "${LAB_REFRESH:-0}" = 1 ]; then stamp_clear "$debdir"; stamp_clear "$LAB_CACHE/kernels/$abi"; fi
	if ! stamp_ok "$debdir"; then
		cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
		# Lists may be missing (chroot made without them) or stale.
		if ! ls "$dir"/var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
			run_logged "$LAB_CACHE/logs/apt-update-$suite.log" in_chroot "$dir" apt-get update ||
				die "apt-get update in the $suite chroot failed"
		fi
		pkgs=$(image_packages "$abi" in_chroot "$dir" apt-cache)
		log "downloading $pkgs ($suite)"
		rm -rf "$dir/var/cache/lab-debs"
		mkdir -p "$dir/var/cache/lab-debs"
		if ! run_logged "$LAB_CACHE/logs/download-$abi.log" in_chroot "$dir" \
			sh -c "cd /var/cache/lab-debs && apt-get download $pkgs"; then
			run_logged "$LAB_CACHE/logs/apt-update-$suite.log" in_chroot "$dir" apt-get update ||
				die "apt-get update in the $suite chroot failed"
			run_logged "$LAB_CACHE/logs/download-$abi.log" in_chroot "$dir" \
				sh -c "cd /var/cache/lab-debs && apt-get download $pkgs" ||
				die "cannot download $pkgs"
		fi
		rm -rf "$debdir"
		mkdir -p "$(dirname "$debdir")"
		mv "$dir/var/cache/lab-debs" "$debdir"
		stamp_set "$debdir"
	fi
	unpack_image "$series" "$abi" "$debdir"
	write_env "$series" "$abi" "$dir"
}

# kernel_prepare SERIES - everything needed to build for and boot SERIES.
kernel_prepare() {
	local series=$1 suite
	suite=$(suite_of "$series")
	mkdir -p "$LAB_CACHE/kernels" "$LAB_CACHE/logs"
	if [ "$suite" = "$(host_suite)" ]; then
		prepare_host "$series"
	else
		prepare_chroot "$series" "$suite"
	fi
	(
		. "$LAB_CACHE/kernels/$series.env"
		log "kernel $series: $KVER${CHROOT:+ (chroot $(basename "$CHROOT"))}"
	)
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	apt_ensure mmdebstrap kmod
	# shellcheck disable=SC2048,SC2086 # a list of words
	for s in ${*:-$KERNELS}; do
		kernel_prepare "$s"
	done
fi
