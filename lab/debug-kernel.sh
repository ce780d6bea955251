#!/bin/bash
# lab/debug-kernel.sh - build (once) the lab's debug kernel for `make check-debug`.
#
# The kernel is Debian's own 6.1 source (package linux-source-6.1 of the
# host's suite, fetched with `apt-get download`), configured small for a
# QEMU guest and with the kernel's bug finders on:
#
#   KASAN (generic, inline, with vmalloc), PROVE_LOCKING (lockdep, with
#   PROVE_RCU), DEBUG_ATOMIC_SLEEP, DEBUG_KMEMLEAK (on at boot), DEBUG_LIST,
#   DETECT_HUNG_TASK, SOFTLOCKUP_DETECTOR, SLUB_DEBUG, DEBUG_OBJECTS (work,
#   timers, rcu heads).  REFCOUNT_FULL is in the recipe but no longer exists
#   in 6.1 (refcount_t always checks), so olddefconfig drops it.
#
# Everything the guest needs (virtio-blk, ext4, xfs, crc32c, configfs,
# devtmpfs) is built in, so the initramfs needs no disk or file system
# modules.  null_blk is the one module (installed under
# $LAB_CACHE/debug/modroot, the KMODDIR): built in, it would make a default
# nullb0 at boot that Debian's kernels do not have, and the lab loads it
# with nr_devices=0 (lab/guest-devices.sh), as on the other kernels.
# No debug info, BTF or module signing: they only cost build time.  The
# build runs niced, with make -j$(nproc), and takes about 20 minutes on two
# cores (16 measured); it is done once and cached:
#
#   $LAB_CACHE/debug/deb/               linux-source-6.1_*.deb (+ .stamp)
#   $LAB_CACHE/debug/linux-source-6.1/  the source, configured and built:
#                                       the KDIR for the module (+ .stamp)
#   $LAB_CACHE/kernels/debug.env        KVER, VMLINUZ, KMODDIR, KHDR, CHROOT
#                                       like the other kernels' .env files
#   $LAB_CACHE/logs/debug-kernel-*.log  download, config and build logs
#
# The tree's stamp records a hash of the configuration recipe below, so a
# changed recipe reconfigures and rebuilds (incrementally); LAB_REFRESH=1
# downloads and unpacks the source again.
#
# Run directly: lab/debug-kernel.sh (builds if needed, prints the .env).

set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEBUG_SRC_PKG=${DEBUG_SRC_PKG:-linux-source-6.1}
DEBUG_DIR="$LAB_CACHE/debug"
DEBUG_TREE="$DEBUG_DIR/$DEBUG_SRC_PKG"
DEBUG_LOCALVERSION=-aioring-debug
DEBUG_BUILD_PACKAGES="bc bison flex libssl-dev libelf-dev cpio xz-utils gcc make libc6-dev kmod"

# The configuration recipe, applied with scripts/config on top of
# x86_64_defconfig + kvm_guest.config, then completed by olddefconfig.
# "y NAME" enables, "n NAME" disables, "m NAME" makes a module,
# "s NAME VALUE" sets a string, "v NAME VALUE" sets a number.
debug_recipe() {
	cat <<-'EOF'
		# the guest: virtio disk, file systems, block test devices
		y VIRTIO
		y VIRTIO_PCI
		y VIRTIO_BLK
		y VIRTIO_CONSOLE
		y BLK_DEV_INITRD
		y DEVTMPFS
		y DEVTMPFS_MOUNT
		y EXT4_FS
		y XFS_FS
		y CRYPTO_CRC32C
		y CONFIGFS_FS
		m BLK_DEV_NULL_BLK
		y TMPFS
		y MODULES
		y MODULE_UNLOAD
		y DEBUG_FS
		# what the tests use: a page nobody serves (userfaultfd) and the
		# owner's cgroups (v2, io.max)
		y USERFAULTFD
		y CGROUPS
		y BLK_CGROUP
		y BLK_DEV_THROTTLING
		y MEMCG
		y CPUSETS
		# bug finders
		y KASAN
		y KASAN_GENERIC
		y KASAN_INLINE
		n KASAN_OUTLINE
		y KASAN_VMALLOC
		y PROVE_LOCKING
		y PROVE_RCU
		y DEBUG_ATOMIC_SLEEP
		y DEBUG_KMEMLEAK
		n DEBUG_KMEMLEAK_DEFAULT_OFF
		y DEBUG_KMEMLEAK_AUTO_SCAN
		v DEBUG_KMEMLEAK_MEM_POOL_SIZE 65536
		y DEBUG_LIST
		y REFCOUNT_FULL
		y DEBUG_OBJECTS
		y DEBUG_OBJECTS_FREE
		y DEBUG_OBJECTS_WORK
		y DEBUG_OBJECTS_TIMERS
		y DEBUG_OBJECTS_RCU_HEAD
		y DETECT_HUNG_TASK
		y SOFTLOCKUP_DETECTOR
		y SLUB_DEBUG
		# coverage (make coverage, lab/coverage.sh): gcov support only;
		# nothing of the kernel itself is instrumented, the module is
		# when built with AIORING_GCOV=1 (Kbuild: GCOV_PROFILE := y)
		y GCOV_KERNEL
		n GCOV_PROFILE_ALL
		# faster build: no debug info, no signing, no hardware the guest lacks
		y DEBUG_INFO_NONE
		n DEBUG_INFO
		n DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT
		n DEBUG_INFO_DWARF4
		n DEBUG_INFO_DWARF5
		n DEBUG_INFO_BTF
		n MODULE_SIG
		n MODULE_SIG_ALL
		s SYSTEM_TRUSTED_KEYS ""
		s SYSTEM_REVOCATION_KEYS ""
		n DRM
		n AGP
		n FB
		n SOUND
		n USB_SUPPORT
		n WLAN
		n WIRELESS
		n CFG80211
		n MAC80211
		n RFKILL
		n NETFILTER
		n IPV6
		n NETWORK_FILESYSTEMS
		n ETHERNET
		n MD
		n ATA
		n HID
		n INPUT_JOYSTICK
		n INPUT_TABLET
		n INPUT_TOUCHSCREEN
		n HIBERNATION
		n SUSPEND
		n EFI
		n MICROCODE
		n PCCARD
		n I2C
		n HWMON
		n THERMAL
		n WATCHDOG
		n AUDIT
		n PROFILING
		n KEXEC
		n CRASH_DUMP
		n KPROBES
		n FTRACE
	EOF
}

# debug_recipe_hash - identifies the recipe (and the source package name).
debug_recipe_hash() {
	{ echo "$DEBUG_SRC_PKG"; debug_recipe; } | sha256sum | cut -c1-16
}

# debug_fetch_source - apt-get download the source package, unpack its
# tarball under $DEBUG_DIR.
debug_fetch_source() {
	local debdir="$DEBUG_DIR/deb" deb tmp tarball
	if [ "${LAB_REFRESH:-0}" = 1 ]; then stamp_clear "$debdir"; stamp_clear "$DEBUG_TREE"; fi
	if ! stamp_ok "$debdir"; then
		log "downloading $DEBUG_SRC_PKG"
		rm -rf "$debdir"
		mkdir -p "$debdir"
		if ! run_logged "$LAB_CACHE/logs/debug-kernel-download.log" \
			sh -c "cd '$debdir' && apt-get download '$DEBUG_SRC_PKG'"; then
			run_logged "$LAB_CACHE/logs/apt-update.log" apt-get update ||
				die "apt-get update failed"
			run_logged "$LAB_CACHE/logs/debug-kernel-download.log" \
				sh -c "cd '$debdir' && apt-get download '$DEBUG_SRC_PKG'" ||
				die "cannot download $DEBUG_SRC_PKG"
		fi
		stamp_set "$debdir"
	fi
	# The tree's stamp is written after the build; a tree without a
	# Makefile (or never unpacked) is unpacked afresh.
	if [ ! -e "$DEBUG_TREE/Makefile" ] || [ ! -e "$DEBUG_TREE/.lab-unpacked" ]; then
		deb=$(find "$debdir" -maxdepth 1 -name "${DEBUG_SRC_PKG}_*.deb" | sort | tail -n1)
		[ -n "$deb" ] || die "no $DEBUG_SRC_PKG .deb in $debdir"
		log "unpacking $(basename "$deb")"
		tmp="$DEBUG_DIR/unpack"
		rm -rf "$tmp" "$DEBUG_TREE"
		mkdir -p "$tmp"
		dpkg -x "$deb" "$tmp"
		tarball=$(find "$tmp/usr/src" -maxdepth 1 -name "$DEBUG_SRC_PKG.tar.*" | head -n1)
		[ -n "$tarball" ] || die "no source tarball in $deb"
		tar -C "$DEBUG_DIR" -xf "$tarball"
		rm -rf "$tmp"
		[ -e "$DEBUG_TREE/Makefile" ] || die "$tarball did not unpack to $DEBUG_TREE"
		touch "$DEBUG_TREE/.lab-unpacked"
	fi
}

# debug_configure - write .config from defconfig + kvm_guest + the recipe.
debug_configure() {
	local logfile="$LAB_CACHE/logs/debug-kernel-config.log" op name val
	local sc=(./scripts/config --file .config)
	log "configuring the debug kernel"
	(
		cd "$DEBUG_TREE"
		make x86_64_defconfig
		make kvm_guest.config
		while read -r op name val; do
			case "$op" in
			'#' | '') continue ;;
			y) "${sc[@]}" --enable "$name" ;;
			n) "${sc[@]}" --disable "$name" ;;
			m) "${sc[@]}" --module "$name" ;;
			s) "${sc[@]}" --set-str "$name" "${val//\"/}" ;;
			v) "${sc[@]}" --set-val "$name" "$val" ;;
			esac
		done < <(debug_recipe)
		"${sc[@]}" --set-str LOCALVERSION "$DEBUG_LOCALVERSION"
		"${sc[@]}" --disable LOCALVERSION_AUTO
		make olddefconfig
	) >"$logfile" 2>&1 || { tail -n 40 "$logfile" >&2; die "debug kernel configuration failed"; }
	debug_verify_config
}

# debug_verify_config - the options the run relies on must have survived
# olddefconfig (a dependency the recipe missed would silently drop them).
debug_verify_config() {
	local want missing=()
	for want in KASAN KASAN_GENERIC KASAN_INLINE PROVE_LOCKING DEBUG_ATOMIC_SLEEP \
		DEBUG_KMEMLEAK DEBUG_LIST DETECT_HUNG_TASK SOFTLOCKUP_DETECTOR SLUB_DEBUG \
		DEBUG_FS VIRTIO_PCI VIRTIO_BLK EXT4_FS XFS_FS CRYPTO_CRC32C CONFIGFS_FS \
		DEVTMPFS BLK_DEV_INITRD MODULES MODULE_UNLOAD SERIAL_8250_CONSOLE \
		USERFAULTFD BLK_DEV_THROTTLING GCOV_KERNEL; do
		grep -qx "CONFIG_$want=y" "$DEBUG_TREE/.config" || missing+=("$want")
	done
	grep -qx "CONFIG_BLK_DEV_NULL_BLK=m" "$DEBUG_TREE/.config" || missing+=("BLK_DEV_NULL_BLK=m")
	if grep -qx 'CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF=y' "$DEBUG_TREE/.config"; then
		missing+=("!DEBUG_KMEMLEAK_DEFAULT_OFF")
	fi
	[ "${#missing[@]}" -eq 0 ] || die "debug kernel .config lacks: ${missing[*]}"
}

# debug_kernel_prepare - build the debug kernel if not built yet (or the
# recipe changed), write $LAB_CACHE/kernels/debug.env.
debug_kernel_prepare() {
	local hash t0 kver logfile="$LAB_CACHE/logs/debug-kernel-build.log"
	mkdir -p "$DEBUG_DIR" "$LAB_CACHE/logs" "$LAB_CACHE/kernels"
	hash=$(debug_recipe_hash)
	if ! stamp_ok "$DEBUG_TREE" || ! grep -q "recipe=$hash" "$DEBUG_TREE.stamp" ||
		[ ! -e "$DEBUG_TREE/arch/x86/boot/bzImage" ]; then
		[ "$(id -u)" -eq 0 ] || die "the debug kernel build needs root (apt)"
		# shellcheck disable=SC2086 # a list of words
		apt_ensure $DEBUG_BUILD_PACKAGES
		debug_fetch_source
		stamp_clear "$DEBUG_TREE"
		debug_configure
		t0=$(date +%s)
		log "building the debug kernel, niced, -j$(nproc) (about 20 min on 2 cores; log: $logfile)"
		run_logged "$logfile" sh -c "cd '$DEBUG_TREE' &&
			nice -n 19 make -j$(nproc) bzImage modules &&
			nice -n 19 make -j$(nproc) modules_prepare" ||
			die "debug kernel build failed"
		# The kernel's own modules (if the config has any) for initramfs.sh.
		rm -rf "$DEBUG_DIR/modroot"
		run_logged "$LAB_CACHE/logs/debug-kernel-modinst.log" \
			make -C "$DEBUG_TREE" INSTALL_MOD_PATH="$DEBUG_DIR/modroot" \
			INSTALL_MOD_STRIP=1 DEPMOD=true modules_install ||
			die "debug kernel modules_install failed"
		log "debug kernel built in $(( $(date +%s) - t0 ))s"
		{ date -u +%FT%TZ; echo "recipe=$hash"; echo "build_seconds=$(( $(date +%s) - t0 ))"; } \
			>"$DEBUG_TREE.stamp"
	fi
	kver=$(make -s -C "$DEBUG_TREE" kernelrelease)
	mkdir -p "$DEBUG_DIR/modroot/lib/modules/$kver/kernel"
	cat >"$LAB_CACHE/kernels/debug.env" <<-EOF
		KSERIES=debug
		KVER=$kver
		KROOT=$DEBUG_DIR/modroot
		VMLINUZ=$DEBUG_TREE/arch/x86/boot/bzImage
		KMODDIR=$DEBUG_DIR/modroot/lib/modules/$kver
		CHROOT=
		KHDR=$DEBUG_TREE
	EOF
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	debug_kernel_prepare
	cat "$LAB_CACHE/kernels/debug.env"
fi
