#!/bin/bash
# lab/bench.sh - `make bench`: run the benchmark in the 6.1 and 6.12 guests.
#
# For every kernel series in $BENCH_KERNELS (default "6.1 6.12"): fetch the
# kernel (kernels.sh, cached), build the module (build.sh), pack a bench-mode
# initramfs (initramfs.sh: bench/run-bench.sh, aioring-bench, null_blk and a
# real mke2fs under /bench), boot it once (boot.sh, with $LAB_MEM, default
# 3072 MB here: the memory-backed null_blk lives in guest RAM), cut the table
# out of the console log, and write bench/results/<series>.txt with the
# command, the date and the machine.  Then print the tables.
#
# Knobs: BENCH_KERNELS, BENCH_SECS (seconds per run, default 2),
# BENCH_QD (32), BENCH_ONLY (workloads, e.g. "P3 P5"), BENCH_REPEAT (rounds
# of every run, taking the median; default 3), BENCH_RESULTS (where
# the result files go, default bench/results), and the lab's own (LAB_MEM,
# LAB_SMP, LAB_KVM, LAB_CACHE...).  Numbers under TCG are only comparable
# within one guest run: read the ratios, not the absolute values.

set -euo pipefail
# The knobs the caller set, for the command line in the result files.
BENCH_CMD="make bench"
for _v in BENCH_KERNELS BENCH_SECS BENCH_QD BENCH_ONLY BENCH_REPEAT LAB_MEM LAB_SMP LAB_KVM; do
	[ -z "${!_v+x}" ] || BENCH_CMD="$_v=\"${!_v}\" $BENCH_CMD"
done
LAB_T0=$(date +%s)
export LAB_T0
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$LAB_DIR/kernels.sh"
. "$LAB_DIR/build.sh"
. "$LAB_DIR/initramfs.sh"
export LAB_MEM=${LAB_MEM:-3072}
. "$LAB_DIR/boot.sh"

BENCH_KERNELS=${BENCH_KERNELS:-6.1 6.12}
export BENCH_SECS=${BENCH_SECS:-2}
export BENCH_QD=${BENCH_QD:-32}
export BENCH_ONLY=${BENCH_ONLY:-P1 P2 P3 P4 P5}
export BENCH_REPEAT=${BENCH_REPEAT:-3}
BENCH_RESULTS=${BENCH_RESULTS:-$REPO_DIR/bench/results}

HOST_PACKAGES="$LAB_HOST_PACKAGES liburing-dev libaio-dev"

# bench_kernel SERIES - build, boot, and write the result file.
bench_kernel() {
	local series=$1 kver console res load0
	kver=$(. "$LAB_CACHE/kernels/$series.env" && echo "$KVER")
	(build_module "$series") || die "module build failed for $kver"
	(make_initramfs "$series" bench) || die "cannot make the initramfs for $kver"
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	(run_guest "$series" bench) ||
		log "$kver: QEMU exited with an error (124: timeout, 125: stopped as wedged)"
	console="$LAB_BUILD/$kver/console-bench.log"
	res="$BENCH_RESULTS/$series.txt"
	mkdir -p "$BENCH_RESULTS"
	if ! tr -d '\r' <"$console" | grep -a '^AIORING-BENCH-TABLE-END' >/dev/null; then
		log "$kver: no table in the console log; its tail:"
		tr -d '\r' <"$console" | tail -n 40 | sed 's/^/    | /' >&2
		return 1
	fi
	{
		echo "# aioring benchmark, kernel $series ($kver)"
		echo "# command: $BENCH_CMD"
		echo "# date: $(date -u +%FT%TZ); commit: $(git -C "$REPO_DIR" describe --always --dirty 2>/dev/null || echo unknown)"
		echo "# host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs;" \
			"QEMU $(accel_args), -m $LAB_MEM -smp ${LAB_SMP:-2}"
		echo "# host load average before / after the guest: $load0 / $(cut -d' ' -f1-3 /proc/loadavg)" \
			"(other jobs on the host slow the guest down)"
		echo "# Under TCG absolute numbers are distorted: compare engines by the"
		echo "# ratios to io_uring (xIOPS, xCPU), measured in the same guest run."
		echo "# procCPU: user+sys of the benchmark process (without aioring's kernel"
		echo "# workers); sysCPU: busy time of all CPUs from /proc/stat (everything)."
		echo
		tr -d '\r' <"$console" |
			sed -n '/^AIORING-BENCH-TABLE-BEGIN/,/^AIORING-BENCH-TABLE-END/p' |
			grep -av '^AIORING-BENCH-TABLE-'
		echo
		echo "# raw result lines"
		tr -d '\r' <"$console" |
			sed -n '/^AIORING-BENCH-RAW-BEGIN/,/^AIORING-BENCH-RAW-END/p' |
			grep -av '^AIORING-BENCH-RAW-' | sed 's/^/# /'
	} >"$res"
	if hits=$(scan_log "$console"); then :; else
		log "$kver: kernel log shows problems (console: $console):"
		echo "$hits" | head -n 30 | sed 's/^/    | /' >&2
		echo "# kernel log problems during the run:" >>"$res"
		echo "$hits" | head -n 30 | sed 's/^/#   /' >>"$res"
	fi
	log "$kver: results in $res"
}

main() {
	local series failed=0
	[ "$(id -u)" -eq 0 ] || die "the lab needs root (apt, chroot, mount)"
	mkdir -p "$LAB_CACHE/logs" "$LAB_BUILD"
	# shellcheck disable=SC2086
	apt_ensure $HOST_PACKAGES
	log "aioring bench: kernels $BENCH_KERNELS, ${BENCH_SECS}s per run, QD $BENCH_QD"
	for series in $BENCH_KERNELS; do
		(kernel_prepare "$series") || die "cannot prepare kernel $series"
	done
	# shellcheck disable=SC2086 # the first word
	accel_choose $BENCH_KERNELS
	(build_userspace) || die "userspace build failed"
	run_logged "$LAB_BUILD/bench-build.log" make -C "$REPO_DIR/bench" ||
		die "bench build failed"
	for series in $BENCH_KERNELS; do
		bench_kernel "$series" || failed=1
	done
	for series in $BENCH_KERNELS; do
		[ -e "$BENCH_RESULTS/$series.txt" ] || continue
		echo
		echo "==== $BENCH_RESULTS/$series.txt ===="
		grep -v '^# ' "$BENCH_RESULTS/$series.txt" | sed '/^$/N;/^\n$/D'
	done
	log "bench done in $(( $(date +%s) - LAB_T0 ))s"
	return "$failed"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
