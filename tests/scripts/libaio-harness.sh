#!/bin/sh
# SPDX-License-Identifier: MIT
#
# libaio-harness.sh N - run case N of libaio's own test harness
# (harness/cases/N.t of the libaio source package, built unmodified
# against libaio.so.1 by lab/libaio.sh and staged at /libaio) with
# LD_PRELOAD of the libaio shim, lib/aio/libaioring-aio.so.
#
# Called by the tests/scripts/libaio-case-N wrappers, one guest test per
# case; run-tests.sh does not run *.sh files itself. Exit 0 when the case
# passed, 77 when it skipped (its own exit 3, or a case this guest cannot
# run, with the reason printed), 1 when it failed or the shim was not the
# one answering.
#
# The cases run in $AIORING_TEST_DIR/libaio-harness with harness/Makefile's
# test files: testdir/rofile (0400), testdir/wofile (0200),
# testdir/rwfile (0600), each holding "test\n".

n=${1:?usage: libaio-harness.sh CASE}
H=/libaio
name=libaio-case-$n

if [ ! -x "$H/sbin/$n.p" ] || [ ! -e "$H/lib/libaioring-aio.so" ]; then
	echo "$name: SKIP: libaio's harness is not staged in this guest (lab/libaio.sh)"
	exit 77
fi
if [ ! -c /dev/aioring ]; then
	echo "$name: SKIP: no /dev/aioring"
	exit 77
fi

# Cases that need what the guest does not have.
case $n in
8 | 10)
	echo "$name: SKIP: needs a loop-mounted ext2 image (the harness's 'extracheck' target, as root); the guest has no loop devices"
	exit 77
	;;
6 | 14)
	echo "$name: SKIP: reads and writes a 768 MB buffer (min(MemTotal, 768 MB)); the guest has 1 GB of memory and a 512 MB test disk"
	exit 77
	;;
11 | 18)
	# 11: 1,000,000 writes then 1,000,000 reads, each submitted and
	# reaped alone; 18: 100 threads x 1000 io_setup/io_submit/io_destroy.
	# Measured under TCG: 11 unfinished after 120 s, 18 after 100 s
	# (a round trip costs about 0.4 ms there). TCG's CPU model is "QEMU
	# Virtual CPU"; with KVM (-cpu host) they run.
	if [ "${AIORING_LIBAIO_LONG:-0}" != 1 ] && grep -q "QEMU Virtual CPU" /proc/cpuinfo; then
		echo "$name: SKIP: too long for the 120 s test timeout under TCG emulation (set AIORING_LIBAIO_LONG=1 to run it)"
		exit 77
	fi
	;;
esac

base=${AIORING_TEST_DIR:-/mnt/test}/libaio-harness
rm -rf "$base"
mkdir -p "$base/testdir" || exit 1
for f in rofile wofile rwfile; do
	echo test >"$base/testdir/$f" || exit 1
done
chmod 400 "$base/testdir/rofile"
chmod 200 "$base/testdir/wofile"
chmod 600 "$base/testdir/rwfile"
cd "$base" || exit 1

# The shim says on stderr that it is loaded and, at io_destroy, what the
# ring counted (AIORING_AIO_STATS=1): a case that ran on kernel AIO
# instead would not print the first line.
out=/tmp/$name.out
t0=$(date +%s)
# Killed 20 s before the runner's own timeout (AIORING_TEST_TIMEOUT, 120 s;
# 600 s on a debug kernel): that one would kill only this shell, and a
# case left running holds the module (rmmod-clean fails).
limit=$((${AIORING_TEST_TIMEOUT:-120} - 20))
LD_LIBRARY_PATH=$H/lib LD_PRELOAD=$H/lib/libaioring-aio.so AIORING_AIO_STATS=1 \
	timeout -s KILL "$limit" "$H/sbin/$n.p" >"$out" 2>&1
rc=$?
echo "$name: exit $rc after $(($(date +%s) - t0)) s"
# Huge outputs (11: one line per failure) are cut.
head -c 20000 "$out"
if ! grep -q "^aioring-aio: loaded" "$out"; then
	echo "$name: FAIL: the shim was not loaded (LD_PRELOAD)"
	rm -f "$out"
	exit 1
fi
rm -f "$out"
cd / && rm -rf "$base"
case $rc in
0) exit 0 ;;
3)
	echo "$name: SKIP: the case skipped itself (exit 3), reason above"
	exit 77
	;;
*)
	echo "$name: FAIL: exit $rc"
	exit 1
	;;
esac
