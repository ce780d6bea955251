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
# Flavours: a kernel key is a series ("6.1": Debian's stock amd64 kernel)
# or SERIES-FLAVOUR ("6.1-rt": its PREEMPT_RT flavour, for
# lab/check-rt.sh).  A flavour only changes the package names
# (linux-headers-rt-amd64, linux-image-<abi>-rt-amd64...), gives the chroot
# kernels a chroot of their own (chroots/<suite>-rt, with the flavour's
# headers), and names the description $LAB_CACHE/kernels/<key>.env; the
# ABI name differs (6.1.0-57-rt-amd64), so the downloads, unpacked kernels
# and build directories are apart from the stock ones.  The .env of a
# flavour has one more line, KFLAVOUR.
#
# Run directly: lab/kernels.sh [SERIES...] prepares the given (or all)
# kernels; with LAB_FLAVOUR=rt a bare series means its rt flavour, and keys
# such as 6.1-rt work too.

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

# chroot_ensure SUITE [FLAVOUR] - create (once) the build chroot for SUITE
# (chroots/SUITE, or chroots/SUITE-FLAVOUR with that flavour's headers).
chroot_ensure() {
	local suite=$1 flavour=${2:-} name dir main sec include
	local lines=()
	name=$suite${flavour:+-$flavour}
	dir="$LAB_CACHE/chroots/$name"
	[ "${LAB_REFRESH:-0}" = 1 ] && stamp_clear "$dir"
	stamp_ok "$dir" && return 0
	main=$(mirror_main)
	sec=$(mirror_security)
	[ -n "$main" ] || die "no Debian mirror found in the host's apt sources"
	lines+=("deb $main $suite main")
	if [ "$suite" != sid ] && [ -n "$sec" ]; then
		lines+=("deb $sec $suite-security main")
	fi
	log "creating $name build chroot (mmdebstrap, about a minute)"
	rm -rf "$dir"
	mkdir -p "$LAB_CACHE/chroots"
	# Keep the apt lists: they are needed to download the kernel image.
	# A flavour's headers come later, for the kernel that can be
	# downloaded (prepare_chroot).
	include=make,gcc,libc6-dev,kmod,dkms
	[ -n "$flavour" ] || include=make,gcc,libc6-dev,linux-headers-amd64,kmod,dkms
	run_logged "$LAB_CACHE/logs/mmdebstrap-$name.log" \
		mmdebstrap --variant=apt --include="$include" \
		--aptopt="$APTOPT_VALID" --skip=cleanup/apt/lists \
		"$suite" "$dir" "${lines[@]}" ||
		die "mmdebstrap $name failed"
	stamp_set "$dir"
	log "$name chroot ready"
}

# headers_abi FLAVOUR DPKG-QUERY-CMD... - ABI of the installed
# linux-headers-amd64 (or linux-headers-rt-amd64 for FLAVOUR rt).
headers_abi() {
	local meta
	meta=linux-headers-$(flavour_suffix "$1")
	shift
	# shellcheck disable=SC2016 # dpkg-query's own ${field} syntax
	"$@" -W -f='${Depends}\n' "$meta" |
		grep -o 'linux-headers-[^ ,]*' | head -n1 | sed 's/^linux-headers-//'
}

# flavour_abis ROOT FLAVOUR - the ABIs the flavour's headers metapackage
# (linux-headers-rt-amd64) points at in the chroot ROOT's apt lists, one
# per version of it (the security suite's and the main suite's), newest
# first.  prepare_chroot takes the newest whose image can be downloaded:
# the archive has listed rt packages whose files were missing (bullseye-
# security's 5.10.262 rt image and metapackage were 404s while its headers
# were there), and only the download tells.
flavour_abis() {
	local root=$1 meta
	meta=linux-headers-$(flavour_suffix "$2")
	in_chroot "$root" apt-cache show "$meta" 2>/dev/null |
		sed -n 's/^Depends:.*linux-headers-\([^ ,]*-'"$(flavour_suffix "$2")"'\) .*/\1/p' |
		sort -u -V -r
}

# flavour_headers ROOT ABI - linux-headers-ABI installed in the chroot ROOT
# (the metapackage is not: it may point at a newer kernel than the one
# that could be downloaded).
flavour_headers() {
	local root=$1 abi=$2 name
	name=$(basename "$root")
	[ ! -d "$root/usr/src/linux-headers-$abi" ] || return 0
	log "installing linux-headers-$abi in the $name chroot"
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	run_logged "$LAB_CACHE/logs/apt-headers-$name.log" in_chroot "$root" \
		apt-get install -y --no-install-recommends "linux-headers-$abi"
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

# write_env KEY ABI CHROOT - locate image and modules, write KEY.env.
write_env() {
	local key=$1 abi=$2 chroot=$3 root="$LAB_CACHE/kernels/$2" series flavour
	local moddir vmlinuz kver
	moddir=$(find "$root/lib/modules" "$root/usr/lib/modules" -mindepth 1 -maxdepth 1 \
		-type d -name "$abi" 2>/dev/null | head -n1 || true)
	[ -n "$moddir" ] || die "no modules directory for $abi in $root"
	kver=$(basename "$moddir")
	for vmlinuz in "$root/boot/vmlinuz-$kver" "$moddir/vmlinuz" ""; do
		[ -z "$vmlinuz" ] || [ -e "$vmlinuz" ] && break
	done
	[ -n "$vmlinuz" ] || die "no vmlinuz for $kver in $root"
	series=$(key_series "$key")
	flavour=$(key_flavour "$key")
	cat >"$LAB_CACHE/kernels/$key.env" <<-EOF
		KSERIES=$series
		KVER=$kver
		KROOT=$root
		VMLINUZ=$vmlinuz
		KMODDIR=$moddir
		CHROOT=$chroot
		KHDR=/usr/src/linux-headers-$abi
	EOF
	[ -z "$flavour" ] || echo "KFLAVOUR=$flavour" >>"$LAB_CACHE/kernels/$key.env"
}

# prepare_host KEY - the host's own kernel series (in KEY's flavour).
prepare_host() {
	local series=$1 abi pkgs debdir flavour meta
	flavour=$(key_flavour "$series")
	meta=linux-headers-$(flavour_suffix "$flavour")
	apt_ensure "$meta"
	abi=$(headers_abi "$flavour" dpkg-query)
	if [ -z "$abi" ] || [ ! -d "/usr/src/linux-headers-$abi" ]; then
		die "$meta installed but no headers directory for '$abi'"
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

# chroot_download DIR SUITE ABI - the image packages of ABI into
# $LAB_CACHE/debs/ABI, fetched with apt-get download inside the chroot DIR
# (once: the directory is stamped); a failed download is retried once after
# refreshing the chroot's apt lists.  Nonzero if it cannot be downloaded.
chroot_download() {
	local dir=$1 suite=$2 abi=$3 pkgs debdir="$LAB_CACHE/debs/$3"
	local uplog
	uplog="$LAB_CACHE/logs/apt-update-$(basename "$dir").log"
	if [ "${LAB_REFRESH:-0}" = 1 ]; then stamp_clear "$debdir"; stamp_clear "$LAB_CACHE/kernels/$abi"; fi
	stamp_ok "$debdir" && return 0
	cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
	# Lists may be missing (chroot made without them) or stale.
	if ! ls "$dir"/var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
		run_logged "$uplog" in_chroot "$dir" apt-get update ||
			{ log "apt-get update in the $suite chroot failed"; return 1; }
	fi
	pkgs=$(image_packages "$abi" in_chroot "$dir" apt-cache)
	log "downloading $pkgs ($suite)"
	rm -rf "$dir/var/cache/lab-debs"
	mkdir -p "$dir/var/cache/lab-debs"
	if ! run_logged "$LAB_CACHE/logs/download-$abi.log" in_chroot "$dir" \
		sh -c "cd /var/cache/lab-debs && apt-get download $pkgs"; then
		run_logged "$uplog" in_chroot "$dir" apt-get update ||
			{ log "apt-get update in the $suite chroot failed"; return 1; }
		run_logged "$LAB_CACHE/logs/download-$abi.log" in_chroot "$dir" \
			sh -c "cd /var/cache/lab-debs && apt-get download $pkgs" ||
			{ log "cannot download $pkgs"; return 1; }
	fi
	rm -rf "$debdir"
	mkdir -p "$(dirname "$debdir")"
	mv "$dir/var/cache/lab-debs" "$debdir"
	stamp_set "$debdir"
}

# prepare_chroot KEY SUITE - a kernel built in its suite's chroot (the
# flavour's own chroot for a flavoured KEY, see flavour_abis).
prepare_chroot() {
	local series=$1 suite=$2 dir abi="" flavour a
	flavour=$(key_flavour "$series")
	dir="$LAB_CACHE/chroots/$suite${flavour:+-$flavour}"
	chroot_ensure "$suite" "$flavour"
	if [ -n "$flavour" ]; then
		for a in $(flavour_abis "$dir" "$flavour"); do
			# A kernel whose image could not be downloaded is not
			# tried again before LAB_REFRESH=1.
			[ "${LAB_REFRESH:-0}" != 1 ] || rm -f "$LAB_CACHE/debs/$a.unavailable"
			if [ -e "$LAB_CACHE/debs/$a.unavailable" ]; then
				log "$flavour kernel $a: not tried, its image could not be downloaded on $(cat "$LAB_CACHE/debs/$a.unavailable") (LAB_REFRESH=1 tries again)"
				continue
			fi
			if chroot_download "$dir" "$suite" "$a"; then
				abi=$a
				break
			fi
			mkdir -p "$LAB_CACHE/debs"
			date -u +%FT%TZ >"$LAB_CACHE/debs/$a.unavailable"
			log "no $flavour kernel $a to download from $suite; trying the next older one"
		done
		[ -n "$abi" ] || die "no $flavour kernel of $suite can be downloaded"
		flavour_headers "$dir" "$abi" ||
			die "cannot install linux-headers-$abi in the $(basename "$dir") chroot"
	else
		abi=$(headers_abi "" in_chroot "$dir" dpkg-query)
	fi
	if [ -z "$abi" ] || [ ! -d "$dir/usr/src/linux-headers-$abi" ]; then
		die "no linux headers found in the $suite chroot"
	fi
	[ -n "$flavour" ] || chroot_download "$dir" "$suite" "$abi" || die "cannot download the $abi kernel"
	unpack_image "$series" "$abi" "$LAB_CACHE/debs/$abi"
	write_env "$series" "$abi" "$dir"
}

# kernel_prepare KEY - everything needed to build for and boot KEY (a
# series, or SERIES-FLAVOUR); writes $LAB_CACHE/kernels/KEY.env.
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
		kernel_prepare "$(kernel_key "$s")"
	done
fi
