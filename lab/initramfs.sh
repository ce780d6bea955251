#!/bin/bash
# lab/initramfs.sh - pack the initramfs of one test guest.
#
# The guest is busybox (busybox-static) plus what the test needs:
#   /init                  lab/guest-init.sh
#   /lab.env               LAB_MODE=check|demo, and an export line for each
#                          VAR=value of LAB_GUEST_ENV (the tests' environment,
#                          e.g. the long runs of make fuzz and make soak)
#   /lib/lab-modules/      the kernel's own modules for a virtio-blk disk with
#                          ext4 (and xfs), decompressed, with an `order` file
#                          listing them dependencies first
#   /lib/modules/<kver>/updates/dkms/aioring.ko  the module under test, as
#                          DKMS installed it (loaded with depmod + modprobe)
#   /lib/aioring/aioring.ko  a link to it, for tests that reload it by path
#   /tests/                tests/build/* and tests/run-tests.sh
#   /examples/             examples/build/*
#   /usr/bin/aioring-info  tools/build/aioring-info
# The module list is the dependency closure of a few wanted modules, from
# `modinfo -F depends` on that kernel's .ko files; modules built into the
# kernel are simply not found and skipped.  They are decompressed on the host
# because busybox insmod may not read .ko.xz / .ko.zst.
#
# Overrides for trying the lab before the real pieces exist: LAB_TESTS_DIR
# (default tests/build plus tests/run-tests.sh) and LAB_EXAMPLES_DIR
# (default examples/build).
#
# Run directly: lab/initramfs.sh SERIES [check|demo].

set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$LAB_DIR/libaio.sh"

# Wanted guest modules.  crc32c_generic goes before ext4: ext4 asks the
# crypto API for crc32c at mount time and there is no modprobe to load it.
GUEST_MODULES=${GUEST_MODULES:-virtio_pci virtio_blk crc32c_generic ext4 xfs}

# find_ko KMODDIR NAME - path of module NAME (either - or _ spelling).
find_ko() {
	local dir=$1 name=$2
	find "$dir/kernel" \( -name "$name.ko*" -o -name "${name//_/-}.ko*" \
		-o -name "${name//-/_}.ko*" \) -print 2>/dev/null | head -n1 || true
}

# unpack_ko SRC DEST - copy a module, decompressing .xz/.zst/.gz.
unpack_ko() {
	case "$1" in
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

# add_module KMODDIR DEST NAME - add NAME after its dependencies (depth-first,
# so the order file lists every module after what it needs).
add_module() {
	local dir=$1 dest=$2 name=${3//-/_} ko dep
	grep -qx "$name" "$dest/order" 2>/dev/null && return 0
	grep -qx "$name" "$dest/.seen" 2>/dev/null && return 0
	echo "$name" >>"$dest/.seen"
	ko=$(find_ko "$dir" "$name")
	[ -n "$ko" ] || return 0 # built in, or not in this kernel
	unpack_ko "$ko" "$dest/$name.ko"
	for dep in $(modinfo -F depends "$dest/$name.ko" | tr ',' ' '); do
		add_module "$dir" "$dest" "$dep"
	done
	echo "$name" >>"$dest/order"
}

# stage_dir SRC DEST - copy a directory's files (if it exists).
stage_dir() {
	local src=$1 dest=$2
	mkdir -p "$dest"
	[ -d "$src" ] || return 0
	cp -a "$src"/. "$dest"/
}

# stage_tools ROOT DIR "MODULES" "PROGRAMS" - under ROOT/DIR: the modules
# with their dependencies (DIR/modules/order, loaded by the guest with its
# own parameters) and host programs with their shared libraries
# (DIR/sbin, DIR/lib; the loader at the path the binaries name). Used for
# the real mke2fs (busybox's cannot make ext4) and mkfs.xfs.
stage_tools() {
	local root=$1 dir=$2 mods=$3 progs=$4 m p lib
	mkdir -p "$root/$dir/modules" "$root/$dir/sbin" "$root/$dir/lib" "$root/etc"
	: >"$root/$dir/modules/order"
	for m in $mods; do
		add_module "$KMODDIR" "$root/$dir/modules" "$m"
	done
	rm -f "$root/$dir/modules/.seen"
	for p in $progs; do
		cp -L "$p" "$root/$dir/sbin/"
		for lib in $(ldd "$p" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
			cp -L "$lib" "$root/$dir/lib/"
		done
		lib=$(ldd "$p" | awk '$1 ~ /^\/.*ld-linux/ { print $1 }')
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	[ ! -e /etc/mke2fs.conf ] || cp /etc/mke2fs.conf "$root/etc/mke2fs.conf"
}

# --- bench mode (lab/bench.sh) ---------------------------------------------
# stage_bench ROOT - /bench for the benchmark guest: bench/run-bench.sh and
# bench/build/aioring-bench, null_blk and mke2fs (stage_tools).
BENCH_MODULES=${BENCH_MODULES:-configfs null_blk}
stage_bench() {
	local root=$1
	stage_tools "$root" bench "$BENCH_MODULES" /sbin/mke2fs
	install -m 0755 "$REPO_DIR/bench/run-bench.sh" "$root/bench/run-bench.sh"
	install -m 0755 "$REPO_DIR/bench/build/aioring-bench" "$root/bench/aioring-bench"
	env | grep '^BENCH_' | sed "s/=\(.*\)/='\1'/" >"$root/bench/bench.env" || true
}
# --- end of bench mode -------------------------------------------------------

# stage_check ROOT - /lab for the test guest: null_blk, mke2fs, mkfs.xfs and
# guest-devices.sh, which makes the file systems on devices with a real
# completion latency (see there).
stage_check() {
	local root=$1 fio=""
	# fio for the fio tests, as /lab/sbin/fio, if lab/fio.sh built it
	[ ! -x "$LAB_BUILD/fio/fio" ] || fio="$LAB_BUILD/fio/fio"
	stage_tools "$root" lab "configfs null_blk" "/sbin/mke2fs /sbin/mkfs.xfs $fio"
	install -m 0755 "$LAB_DIR/guest-devices.sh" "$root/lab/devices.sh"
	. "$LAB_DIR/fio.sh"
	stage_fio "$root"
	stage_libaio "$root" # /libaio: libaio's harness and the shim (lab/libaio.sh)
}

# make_initramfs SERIES MODE - writes $LAB_BUILD/<kver>/initrd-MODE.gz.
make_initramfs() {
	local series=$1 mode=${2:-check} root out bb m app
	# shellcheck disable=SC1090
	. "$LAB_CACHE/kernels/$series.env"
	out="$LAB_BUILD/$KVER"
	root="$out/initramfs-$mode"
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc,mnt/test} \
		"$root"/lib/{lab-modules,aioring}

	bb=/bin/busybox
	cp "$bb" "$root/bin/busybox"
	for app in $("$bb" --list-full); do
		[ -e "$root/$app" ] || ln -s /bin/busybox "$root/$app"
	done

	install -m 0755 "$LAB_DIR/guest-init.sh" "$root/init"
	echo "LAB_MODE=$mode" >"$root/lab.env"
	for kv in ${LAB_GUEST_ENV:-}; do
		printf 'export %s\n' "$kv"
	done >>"$root/lab.env"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\naiotest:x:1000:1000:aioring tests:/tmp:/bin/sh\n' \
		>"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\naiotest:x:1000:\naioring:x:990:aiotest\n' >"$root/etc/group"

	: >"$root/lib/lab-modules/order"
	for m in $GUEST_MODULES; do
		add_module "$KMODDIR" "$root/lib/lab-modules" "$m"
	done
	rm -f "$root/lib/lab-modules/.seen"

	# The module DKMS installed (lab/dkms.sh), where it lies on a real
	# machine: the guest runs depmod and modprobe.  /lib/aioring/aioring.ko
	# is the path tests reload it from; modprobe.d gets packaging's file.
	mkdir -p "$root/lib/modules/$KVER/updates/dkms" "$root/etc/modprobe.d"
	cp "$out/aioring.ko" "$root/lib/modules/$KVER/updates/dkms/aioring.ko"
	ln -s "../modules/$KVER/updates/dkms/aioring.ko" "$root/lib/aioring/aioring.ko"
	cp "$REPO_DIR/packaging/aioring.conf" "$root/etc/modprobe.d/aioring.conf"

	if [ -n "${LAB_TESTS_DIR:-}" ]; then
		stage_dir "$LAB_TESTS_DIR" "$root/tests"
	else
		stage_dir "$REPO_DIR/tests/build" "$root/tests"
		[ ! -e "$REPO_DIR/tests/run-tests.sh" ] ||
			install -m 0755 "$REPO_DIR/tests/run-tests.sh" "$root/tests/run-tests.sh"
	fi
	stage_dir "${LAB_EXAMPLES_DIR:-$REPO_DIR/examples/build}" "$root/examples"
	# aioring-info, where an installed system has it (tests/info-*).
	[ ! -x "$REPO_DIR/tools/build/aioring-info" ] ||
		install -m 0755 "$REPO_DIR/tools/build/aioring-info" "$root/usr/bin/aioring-info"
	case $mode in
	bench) stage_bench "$root" ;; # lab/bench.sh
	check) stage_check "$root" ;;
	esac

	(cd "$root" && find . -print | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
		gzip -1 >"$out/initrd-$mode.gz"
	log "initramfs for $KVER ($mode): $(du -h "$out/initrd-$mode.gz" | cut -f1)," \
		"modules: $(tr '\n' ' ' <"$root/lib/lab-modules/order")"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	[ -n "${1:-}" ] || die "usage: $0 SERIES [check|demo]"
	make_initramfs "$1" "${2:-check}"
fi
