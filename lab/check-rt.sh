#!/bin/bash
# lab/check-rt.sh - `make check-rt`: the whole test suite on Debian's
# PREEMPT_RT kernels (the linux-image-rt-amd64 flavour) of 5.10, 6.1, 6.12
# and 7.2.
#
# Not part of `make check`: it is the same run for another kernel flavour.
# With LAB_FLAVOUR=rt, lab/kernels.sh prepares the key SERIES-rt of each
# series in $KERNELS ($LAB_CACHE/kernels/<series>-rt.env): the host's
# series (6.1) builds on the host against linux-headers-rt-amd64, the
# others in an mmdebstrap chroot of their suite made with the rt headers
# (chroots/<suite>-rt, apart from make check's), and the image is
# linux-image-<abi>-rt-amd64-unsigned, or linux-binary-<abi>-rt-amd64 +
# linux-modules-<abi>-rt-amd64 on 7.x.  Then, for each kernel, as in
# `make check` (check.sh's test_kernel and judge_guest):
#
#   build-<kver>      the module through DKMS, no warning allowed
#   the suite         tests/run-tests.sh in a QEMU guest
#   boot-<kver>       the guest ran the suite to the end
#   dmesg-<kver>      the console is free of BUG/WARNING/lockdep/... and of
#                     the reports PREEMPT_RT makes of locking mistakes
#                     (sleeping in atomic context, scheduling while atomic,
#                     invalid wait context)
#
# The userspace the guest needs comes first, counted under "userspace":
# build-userspace, libaio-shim-bindings and libaio-semantics-kernel (libaio's
# harness and aio-semantics for /libaio), fio-engine-<ver> (the host fio and
# the engine for /lab/fio).  Everything goes to LAB_BUILD, by default
# $LAB_CACHE/build-rt, so a `make check` may run at the same time.
#
# The last line is "N passed, N failed, N skipped"; the exit status is
# nonzero if anything failed.  Logs: $LAB_BUILD/<kver>/{build.log,
# console-check.log}, <kver> being e.g. 6.1.0-57-rt-amd64.

set -euo pipefail
LAB_T0=$(date +%s)
export LAB_T0
LAB_FLAVOUR=rt
LAB_BUILD=${LAB_BUILD:-${LAB_CACHE:-/var/cache/aioring-lab}/build-rt}
export LAB_FLAVOUR LAB_BUILD

# check.sh brings lib.sh, kernels.sh, build.sh, initramfs.sh, boot.sh,
# fio.sh and its own record/judge_guest/summary (its main runs only when
# executed).
. "$(dirname "${BASH_SOURCE[0]}")/check.sh"

# What PREEMPT_RT reports when code takes a sleeping lock (spinlock_t is an
# rt_mutex there) where it must not, beyond the common "BUG:" pattern.
SCAN_PATTERN="$SCAN_PATTERN"'|sleeping function called from invalid context|scheduling while atomic|Invalid wait context|inconsistent lock state|bad unlock balance|possible irq lock inversion'

# rt_fio_prepare - the host's fio and the fio engine built against it, for
# the guest's fio tests (lab/fio.sh; the engine against sid's fio is
# make check's business).
rt_fio_prepare() {
	local out="$LAB_BUILD/fio" tree ver
	# shellcheck disable=SC2086 # a list of words
	apt_ensure $FIO_HOST_PACKAGES
	rm -rf "$out"
	mkdir -p "$out"
	if ! tree=$(fio_locked fio_host_tree); then
		record userspace FAIL fio-engine-host
		return 0
	fi
	ver=$(fio_src_version "$tree")
	cp "$tree/fio" "$out/fio"
	if fio_engine_host "$tree" "$out/aioring-fio.so"; then
		record userspace PASS "fio-engine-$ver"
	else
		record userspace FAIL "fio-engine-$ver"
	fi
}

main() {
	local key keys=() pids=() i t
	declare -A took
	[ "$(id -u)" -eq 0 ] || die "the lab needs root (apt, chroot, mount)"
	mkdir -p "$LAB_CACHE/logs" "$LAB_BUILD"
	# shellcheck disable=SC2086 # a list of words
	apt_ensure $HOST_PACKAGES
	for key in $KERNELS; do
		suite_of "$key" >/dev/null
		keys+=("$(kernel_key "$key")")
	done
	log "aioring lab check-rt: kernels ${keys[*]}, cache $LAB_CACHE, build $LAB_BUILD"
	# In parallel, as make check does: mmdebstrap and downloads overlap.
	for key in "${keys[@]}"; do
		(kernel_prepare "$key") &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || die "cannot prepare kernel ${keys[$i]}"
	done
	accel_choose "${keys[0]}"
	if (build_userspace); then
		record userspace PASS build-userspace
	else
		record userspace FAIL build-userspace
	fi
	if (libaio_prepare) && (libaio_bindings); then
		record userspace PASS libaio-shim-bindings
	else
		record userspace FAIL libaio-shim-bindings
	fi
	if (libaio_semantics); then
		record userspace PASS libaio-semantics-kernel
	else
		record userspace FAIL libaio-semantics-kernel
	fi
	rt_fio_prepare
	for key in "${keys[@]}"; do
		t=$(date +%s)
		test_kernel "$key"
		took[$key]=$(( $(date +%s) - t ))
		log "kernel $key: build, boot and suite took ${took[$key]}s"
	done
	echo
	echo "==== check-rt: seconds per kernel (module build, guest, judging) ===="
	for key in "${keys[@]}"; do
		echo "$(. "$LAB_CACHE/kernels/$key.env" && echo "$KVER"): ${took[$key]}s"
	done
	summary
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
