#!/bin/sh
# bench/run-bench.sh - the benchmark inside a lab guest (busybox sh).
#
# Started by lab/guest-init.sh in bench mode, after aioring.ko is loaded.
# lab/initramfs.sh puts this script, aioring-bench, null_blk with its
# dependencies (modules/order) and the host's real mke2fs with its
# libraries under /bench.  It sets up the devices, runs every workload
# through every engine, and prints the table between
# AIORING-BENCH-TABLE-BEGIN and AIORING-BENCH-TABLE-END, which lab/bench.sh
# cuts out of the console log.
#
#   nullb0  P2, P5: 4 GB, not memory-backed, completes in the submitting
#           context (irqmode=0), one poll queue for IOPOLL
#   nullb1  P3, P4: 1 GB memory-backed, 4 ms completion latency from a
#           timer (irqmode=2), ext4 with a 512 MB file (P3) and a 128 MB
#           file (P4)
#
# Knobs (from /bench/bench.env): BENCH_SECS (per run), BENCH_QD,
# BENCH_ONLY (workloads to run, e.g. "P1 P3"), BENCH_REPEAT (rounds).

B=/bench
BIN=$B/aioring-bench
BENCH_SECS=2
BENCH_QD=32
BENCH_ONLY="P1 P2 P3 P4 P5"
BENCH_REPEAT=3
# shellcheck disable=SC1091 # written by lab/initramfs.sh
[ -r $B/bench.env ] && . $B/bench.env
OUT=/tmp/bench-results.txt
LAT_NS=4000000
# The physical limit of P3: QD requests every LAT_NS.
LIMIT=$((BENCH_QD * 1000000000 / LAT_NS))
MNT=/mnt/bench

say() { echo "AIORING-BENCH: $*"; }

want() {
	case " $BENCH_ONLY " in *" $1 "*) return 0 ;; esac
	return 1
}

# run LABEL ARGS... - one run, its result line kept for the table.
run() {
	label=$1
	shift
	say "run $label $*"
	$BIN run -L "$label" -q "$BENCH_QD" -t "$BENCH_SECS" "$@" >/tmp/run.out 2>&1
	rc=$?
	cat /tmp/run.out
	grep '^BENCH ' /tmp/run.out >>$OUT ||
		echo "BENCH $label engine=$(echo "$*" | tr ' ' '_') na=1 why=failed-rc-$rc" >>$OUT
}

# nullb NAME ATTR=VALUE... - a null_blk device made through configfs.
nullb() {
	d=/sys/kernel/config/nullb/$1
	shift
	mkdir "$d" || return 1
	for kv in "$@"; do
		echo "${kv#*=}" >"$d/${kv%%=*}" || say "$d: cannot set $kv"
	done
	echo 1 >"$d/power" || return 1
}

wait_dev() {
	i=0
	while [ ! -b "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -b "$1" ]
}

: >$OUT
say "kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs," \
	"$(awk '/MemTotal/ { print int($2 / 1024) " MB" }' /proc/meminfo)," \
	"${BENCH_SECS}s per run, QD $BENCH_QD"
# io_uring must be usable: report the sysctl (6.6+) as found, then enable it.
URING_DISABLED="n/a (no such sysctl: io_uring always enabled)"
if [ -r /proc/sys/kernel/io_uring_disabled ]; then
	URING_DISABLED=$(cat /proc/sys/kernel/io_uring_disabled)
	[ "$URING_DISABLED" = 0 ] || {
		echo 0 >/proc/sys/kernel/io_uring_disabled &&
			URING_DISABLED="$URING_DISABLED (set to 0 for the run)"
	}
fi
say "kernel.io_uring_disabled: $URING_DISABLED"

while read -r m; do
	[ -n "$m" ] || continue
	case "$m" in
	null_blk) insmod "$B/modules/$m.ko" nr_devices=0 ;;
	*) insmod "$B/modules/$m.ko" ;;
	esac || say "insmod $m failed"
done <$B/modules/order
mount -t configfs configfs /sys/kernel/config 2>/dev/null
[ -d /sys/kernel/config/nullb ] || say "no null_blk configfs"

nullb nullb0 size=4096 blocksize=4096 queue_mode=2 irqmode=0 \
	hw_queue_depth=128 poll_queues=1 || say "cannot make nullb0"
nullb nullb1 size=1024 blocksize=4096 queue_mode=2 irqmode=2 \
	completion_nsec=$LAT_NS memory_backed=1 hw_queue_depth=128 ||
	say "cannot make nullb1"
wait_dev /dev/nullb0 || say "no /dev/nullb0"
wait_dev /dev/nullb1 || say "no /dev/nullb1"

# ext4 made by the real mke2fs (busybox's cannot make ext4), initialised
# fully now so that no lazy-init thread writes during the runs.
t0=$(date +%s)
mkdir -p $MNT
if LD_LIBRARY_PATH=$B/lib $B/sbin/mke2fs -q -F -t ext4 -b 4096 \
	-E lazy_itable_init=0,lazy_journal_init=0 /dev/nullb1 &&
	mount -t ext4 -o noatime /dev/nullb1 $MNT; then
	dd if=/dev/zero of=$MNT/p3.dat bs=1M count=512 2>/dev/null
	sync
	say "ext4 on nullb1 with a 512 MB file in $(( $(date +%s) - t0 ))s"
else
	say "cannot make ext4 on /dev/nullb1"
fi

# BENCH_REPEAT rounds of every run, in turn, so that a slow spell of the
# host hits all engines alike; the table takes the median.
round=1
while [ "$round" -le "$BENCH_REPEAT" ]; do
	say "round $round of $BENCH_REPEAT"
	if want P1; then
		for e in "-e io_uring" "-e aioring -m inline" "-e aioring -m sqwq"; do
			# shellcheck disable=SC2086
			run P1 $e -w nop -s 32 -c 32
		done
	fi
	if want P2; then
		for e in "-e io_uring" "-e aioring -m inline" "-e aioring -m sqwq -k $BENCH_QD" \
			"-e libaio" "-e psync"; do
			# shellcheck disable=SC2086
			run P2 $e -f /dev/nullb0 -D
		done
	fi
	if want P3; then
		# The latency one cold read really sees in this guest (emulated timers
		# are late): io_uring at QD1 gives the achievable limit, QD x its IOPS.
		run P3-qd1 -e io_uring -f $MNT/p3.dat -C -q 1 -l $((1000000000 / LAT_NS))
		for e in "-e io_uring" "-e aioring -m inline" "-e aioring -m sqwq -k $BENCH_QD" \
			"-e libaio" "-e psync"; do
			# shellcheck disable=SC2086
			run P3 $e -f $MNT/p3.dat -C -l $LIMIT
		done
	fi
	if want P4; then
		if [ ! -e $MNT/p4.dat ]; then
			dd if=/dev/zero of=$MNT/p4.dat bs=1M count=128 2>/dev/null
			sync
		fi
		for e in "-e io_uring" "-e aioring -m inline" "-e aioring -m sqwq -k $BENCH_QD" \
			"-e libaio" "-e psync"; do
			# shellcheck disable=SC2086
			run P4 $e -f $MNT/p4.dat -W
		done
	fi
	if want P5; then
		run P5 -e io_uring -P -I -f /dev/nullb0 -D
		run P5 -e aioring -P -I -f /dev/nullb0 -D
	fi
	round=$((round + 1))
done

umount $MNT 2>/dev/null

echo "AIORING-BENCH-TABLE-BEGIN"
echo "kernel $(uname -r); $(grep -c ^processor /proc/cpuinfo) vCPUs;" \
	"$(awk '/MemTotal/ { print int($2 / 1024) " MB" }' /proc/meminfo);" \
	"${BENCH_SECS}s per run; $BENCH_REPEAT round(s); QD $BENCH_QD; 4k"
echo "kernel.io_uring_disabled at boot: $URING_DISABLED"
$BIN report $OUT
echo "AIORING-BENCH-TABLE-END"
echo "AIORING-BENCH-RAW-BEGIN"
cat $OUT
echo "AIORING-BENCH-RAW-END"
