#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Guest-side runner for the aioring tests (busybox sh compatible).
#
#   run-tests.sh DIR
#
# Runs every executable in DIR in name order, each under
# "timeout -s KILL 120" (AIORING_TEST_TIMEOUT; AIORING_TEST_TIMEOUT_<name>,
# dashes as underscores, for one test), prints its output and one result line:
#   AIORING-TEST: PASS <name>
#   AIORING-TEST: SKIP <name>                   (exit 77)
#   AIORING-TEST: FAIL <name> (exit N)          (anything else, 137 = killed)
#   AIORING-TEST: FAIL <name> (kernel log)      (passed, but the kernel complained)
# After each test the kernel log lines it produced are printed, and a BUG,
# WARNING, lockdep, KASAN, UBSAN, refcount, list corruption, hung task,
# Oops or GPF report fails the test. The last test, rmmod-clean, lives
# here: "rmmod aioring" must work, /dev/aioring must go away and the
# kernel log must stay clean (a leaked slab object reports at unload).
# Ends with "AIORING-TESTS-DONE"; exits 1 if anything failed.
#
# dmesg is read, never cleared: new lines are those after the last line
# already seen, so the full log stays for the lab to dump.

TIMEOUT=${AIORING_TEST_TIMEOUT:-120}
KPAT='BUG:|kernel BUG at|invalid opcode:|WARNING:|possible circular locking|possible recursive locking|KASAN|refcount_t:|list_add corruption|list_del corruption|blocked for more than|Oops|general protection fault|UBSAN|Objects remaining|still has objects'

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1

nr_pass=0
nr_fail=0
nr_skip=0
failed=""
last_line=""

# Set NEWK to the kernel log lines that appeared since the previous call.
# Not to be called in a subshell: it keeps its place in last_line.
read_kernel_log() {
	log=$(dmesg 2>/dev/null)
	# Lines after the last occurrence of the last line seen; all of them if
	# it is gone (the ring buffer wrapped).
	NEWK=$(printf '%s\n' "$log" | LAST="$last_line" awk '
		{ line[NR] = $0; if ($0 == ENVIRON["LAST"]) at = NR }
		END { if (ENVIRON["LAST"] == "") at = 0;
		      for (i = at + 1; i <= NR; i++) if (line[i] != "") print line[i] }')
	last_line=$(printf '%s\n' "$log" | awk 'NF { l = $0 } END { print l }')
}

# Kill what a test left running as the unprivileged test users (uid 1000,
# 1001): a killed test's children would keep their rings, and the module.
reap_strays() {
	for s in /proc/[0-9]*/status; do
		u=$(awk '/^Uid:/ { print $2; exit }' "$s" 2>/dev/null)
		case "$u" in
		1000 | 1001) p=${s%/status}; kill -9 "${p#/proc/}" 2>/dev/null ;;
		esac
	done
}

# $1 = name, $2 = exit code, $3 = new kernel lines
report() {
	name=$1
	rc=$2
	klog=$3
	bad=""
	if [ -n "$klog" ]; then
		printf '%s\n' "$klog" | sed 's/^/  kernel: /'
		bad=$(printf '%s\n' "$klog" | grep -E "$KPAT")
	fi
	if [ -n "$bad" ]; then
		echo "aioring-tests: kernel log problems during $name:"
		printf '%s\n' "$bad" | sed 's/^/  !! /'
	fi
	if [ "$rc" -eq 77 ] && [ -z "$bad" ]; then
		echo "AIORING-TEST: SKIP $name"
		nr_skip=$((nr_skip + 1))
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		echo "AIORING-TEST: FAIL $name (exit $rc)"
		nr_fail=$((nr_fail + 1))
		failed="$failed $name"
	elif [ -n "$bad" ]; then
		echo "AIORING-TEST: FAIL $name (kernel log)"
		nr_fail=$((nr_fail + 1))
		failed="$failed $name"
	else
		echo "AIORING-TEST: PASS $name"
		nr_pass=$((nr_pass + 1))
	fi
}

# The kernel log before any test: printed once, and checked as "boot".
read_kernel_log
if printf '%s\n' "$NEWK" | grep -qE "$KPAT"; then
	echo "aioring-tests: kernel log already has problems before the first test:"
	printf '%s\n' "$NEWK" | grep -E "$KPAT" | sed 's/^/  !! /'
fi

for t in "$dir"/*; do
	if [ ! -f "$t" ] || [ ! -x "$t" ]; then
		continue
	fi
	name=${t##*/}
	case "$name" in
	*.sh|*.o|*.c) continue ;;
	esac
	echo "AIORING-TEST: START $name"
	# AIORING_TEST_TIMEOUT_<name> (dashes as underscores) gives one test
	# a timeout of its own, which the test sees as AIORING_TEST_TIMEOUT.
	eval "tmo=\${AIORING_TEST_TIMEOUT_$(printf '%s' "$name" | tr -c 'A-Za-z0-9_' _):-$TIMEOUT}"
	AIORING_TEST_TIMEOUT=$tmo timeout -s KILL "$tmo" "$t" 2>&1
	rc=$?
	reap_strays
	read_kernel_log
	report "$name" "$rc" "$NEWK"
done

# rmmod-clean: unload, the device goes, nothing leaked.
echo "AIORING-TEST: START rmmod-clean"
if [ ! -d /sys/module/aioring ]; then
	echo "rmmod-clean: aioring is not loaded"
	rc=77
else
	rc=0
	# Rings are freed asynchronously after their last reference: give the
	# last test's a moment (a ring that leaked still fails below).
	i=0
	while [ "$(cat /sys/module/aioring/refcnt 2>/dev/null)" != 0 ] && [ $i -lt 50 ]; do
		sleep 0.1 2>/dev/null || sleep 1
		i=$((i + 1))
	done
	if ! rmmod aioring; then
		echo "rmmod-clean: rmmod aioring: expected success, it failed (refcnt $(cat /sys/module/aioring/refcnt 2>/dev/null))"
		# What the ring's threads are doing, if any is left.
		for c in /proc/[0-9]*/comm; do
			case "$(cat "$c" 2>/dev/null)" in
			aioring-*)
				d=${c%/comm}
				echo "rmmod-clean: $(cat "$c") (${d#/proc/}) state $(awk '{print $3}' "$d/stat" 2>/dev/null):"
				sed 's/^/    /' "$d/stack" 2>/dev/null
				;;
			esac
		done
		rc=1
	else
		# devtmpfs removes the node synchronously; allow a moment anyway.
		i=0
		while [ -e /dev/aioring ] && [ $i -lt 20 ]; do
			sleep 0.1 2>/dev/null || sleep 1
			i=$((i + 1))
		done
		if [ -e /dev/aioring ]; then
			echo "rmmod-clean: /dev/aioring: expected gone after rmmod, it is still there"
			rc=1
		fi
		if [ -d /sys/module/aioring ]; then
			echo "rmmod-clean: /sys/module/aioring: expected gone after rmmod, it is still there"
			rc=1
		fi
	fi
fi
read_kernel_log
report rmmod-clean "$rc" "$NEWK"

echo "aioring-tests: $nr_pass passed, $nr_fail failed, $nr_skip skipped"
[ -n "$failed" ] && echo "aioring-tests: failed:$failed"
echo "AIORING-TESTS-DONE"
[ "$nr_fail" -eq 0 ]
