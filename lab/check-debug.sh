#!/bin/bash
# lab/check-debug.sh - `make check-debug`: the whole test suite on a debug
# kernel (KASAN, lockdep, DEBUG_ATOMIC_SLEEP, kmemleak, ...).
#
# Not part of CI: the first run builds Debian's linux-source-6.1 with the
# bug finders on (lab/debug-kernel.sh, about 20 minutes on two cores, then
# cached).  After that it is `make check` for one kernel:
#
#   build-userspace   lib/, tests/, examples/
#   build-<kver>      aioring.ko against the debug tree, no warnings allowed
#   the suite         tests/run-tests.sh in a QEMU guest, as in `make check`
#   kmemleak          (guest) after the suite and rmmod: two kmemleak scans;
#                     any unreferenced object reported fails, whether or not
#                     its backtrace names aioring (a leak in aioring's init,
#                     a freed __init function, shows only as an address)
#   boot-<kver>       the guest ran the suite to the end
#   dmesg-<kver>      the console is free of BUG/WARNING/KASAN/lockdep/RCU/
#                     sleep-in-atomic/ODEBUG/... reports
#
# The kmemleak step needs no change to the guest's /init: the guest's
# /tests/run-tests.sh is a small wrapper (staged under
# $LAB_BUILD/<kver>/tests-debug and passed to initramfs.sh as LAB_TESTS_DIR)
# that scans with kmemleak first (to show what boot and insmod left; not
# cleared, so it counts too), runs the real tests/run-tests.sh, then scans
# again and fails on any report.
#
# The guest gets more memory and time than `make check` (KASAN, TCG):
# LAB_MEM=2048, LAB_TIMEOUT=9000, LAB_IDLE_TIMEOUT=900, per-test timeout
# DEBUG_TEST_TIMEOUT=600 (AIORING_TEST_TIMEOUT in the guest), but
# DEBUG_FUZZ_TIMEOUT=3000 for tests/fuzz, which needs about that long for
# its 10^6 operations under KASAN and TCG (it stops at 10^6), and
# LAB_CRASH_GRACE=600: a debug kernel's "BUG:" reports (KASAN, sleep in
# atomic context) are not fatal, and the rest of the suite still runs.
#
# LAB_DEBUG_STANDIN=SERIES skips the debug kernel and runs the same steps on
# that Debian kernel (to try the run path without the long build; kmemleak
# then reports SKIP).
#
# LAB_COVERAGE=1 (`make coverage`, lab/coverage.sh) is the same run with a
# gcov-instrumented module and two more results, gcov-data (the guest saved
# the counts after the suite) and coverage-report ($LAB_BUILD/coverage.txt);
# see lab/coverage.sh.

set -euo pipefail
LAB_T0=$(date +%s)
export LAB_T0
# Debug-guest defaults, before boot.sh reads them.
LAB_MEM=${LAB_MEM:-2048}
LAB_TIMEOUT=${LAB_TIMEOUT:-9000}
LAB_IDLE_TIMEOUT=${LAB_IDLE_TIMEOUT:-900}
LAB_CRASH_GRACE=${LAB_CRASH_GRACE:-600}
LAB_BOOT_DEADLINE=${LAB_BOOT_DEADLINE:-600}
DEBUG_TEST_TIMEOUT=${DEBUG_TEST_TIMEOUT:-600}
DEBUG_FUZZ_TIMEOUT=${DEBUG_FUZZ_TIMEOUT:-3000}
LAB_DEBUG_STANDIN=${LAB_DEBUG_STANDIN:-}
export LAB_MEM LAB_TIMEOUT LAB_IDLE_TIMEOUT LAB_CRASH_GRACE LAB_BOOT_DEADLINE

# check.sh brings lib.sh, kernels.sh, build.sh, initramfs.sh, boot.sh and
# its own record/judge_guest/summary (its main runs only when executed).
. "$(dirname "${BASH_SOURCE[0]}")/check.sh"
. "$LAB_DIR/debug-kernel.sh"
. "$LAB_DIR/coverage.sh"
# Coverage mode builds the module with gcov, by kbuild in a directory that
# stays (lab/coverage.sh), instead of build.sh's DKMS build.
if [ "$LAB_COVERAGE" = 1 ]; then
	build_module() { coverage_build_module "$@"; }
fi

# Debug-kernel reports that the common pattern may miss: lockdep and RCU
# headers, sleeping in atomic context, debugobjects, kmemleak's own failure.
SCAN_PATTERN="$SCAN_PATTERN"'|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|possible irq lock inversion|bad unlock balance|Invalid wait context|lock held when returning to user space|ODEBUG:|kmemleak: Kernel memory leak detector disabled|kmemleak: Cannot allocate'

# stage_debug_tests KVER - the guest's /tests: the suite plus the wrapper.
stage_debug_tests() {
	local kver=$1 dir="$LAB_BUILD/$1/tests-debug" need_kmemleak=1 gcov=""
	[ -n "$LAB_DEBUG_STANDIN" ] && need_kmemleak=0
	rm -rf "$dir"
	mkdir -p "$dir"
	if [ -n "${LAB_TESTS_DIR:-}" ]; then
		cp -a "$LAB_TESTS_DIR"/. "$dir"/
	else
		[ ! -d "$REPO_DIR/tests/build" ] || cp -a "$REPO_DIR/tests/build"/. "$dir"/
		[ ! -e "$REPO_DIR/tests/run-tests.sh" ] ||
			install -m 0755 "$REPO_DIR/tests/run-tests.sh" "$dir/run-tests.sh"
	fi
	[ -x "$dir/run-tests.sh" ] || die "no run-tests.sh for the guest"
	# run-tests.sh skips *.sh files, so the helpers never run as tests.
	mv "$dir/run-tests.sh" "$dir/aioring-run-tests.sh"
	# Coverage mode: save the module's gcov counts once the suite (whose
	# last test unloads it) is done.
	if [ "$LAB_COVERAGE" = 1 ]; then
		gcov="\"\$1/lab-gcov.sh\" '$(coverage_stage_guest "$dir" "$kver")' || rc=1"
	fi
	cat >"$dir/run-tests.sh" <<-EOF
		#!/bin/sh
		# check-debug wrapper (lab/check-debug.sh): a first kmemleak scan, the
		# suite with a longer per-test timeout, then the kmemleak check.
		export AIORING_TEST_TIMEOUT=\${AIORING_TEST_TIMEOUT:-$DEBUG_TEST_TIMEOUT}
		export AIORING_TEST_TIMEOUT_fuzz=\${AIORING_TEST_TIMEOUT_fuzz:-$DEBUG_FUZZ_TIMEOUT}
		"\$1/lab-kmemleak.sh" baseline $need_kmemleak
		"\$1/aioring-run-tests.sh" "\$@"
		rc=\$?
		$gcov
		"\$1/lab-kmemleak.sh" check $need_kmemleak || rc=1
		exit \$rc
	EOF
	chmod 0755 "$dir/run-tests.sh"
	install -m 0755 /dev/stdin "$dir/lab-kmemleak.sh" <<-'EOF'
		#!/bin/sh
		# lab-kmemleak.sh baseline|check NEED - kmemleak in a check-debug guest.
		#   baseline  before the suite: scan, show what boot and insmod left
		#   check     after the suite: scan again, print the report between
		#             AIORING-KMEMLEAK-BEGIN/END, one result line "kmemleak":
		#             any object listed (boot, insmod or the suite) fails
		# NEED=1: a kernel without kmemleak fails the check (else SKIP).
		K=/sys/kernel/debug/kmemleak
		[ -e $K ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
		need=${2:-1}
		records() { grep -c '^unreferenced object' "$1"; }
		# Objects younger than 5 s are never reported: wait, scan, repeat.
		scan() {
			sleep 6
			echo scan >$K || return 1
			sleep 6
			echo scan >$K
		}
		case "$1" in
		baseline)
			[ -e $K ] || exit 0
			# Not cleared: aioring's own init runs before this, and
			# what it leaks must count.
			if scan && cat $K >/tmp/kmemleak-boot.txt; then
				echo "AIORING-LAB: kmemleak: $(records /tmp/kmemleak-boot.txt) object(s) reported before the suite (boot, insmod; counted again at the end)"
				sed 's/^/kmemleak-before| /' /tmp/kmemleak-boot.txt | head -n 200
			else
				echo "AIORING-LAB: kmemleak: baseline scan failed"
			fi
			;;
		check)
			echo "AIORING-TEST: START kmemleak"
			if [ ! -e $K ]; then
				echo "kmemleak: no $K in this kernel"
				if [ "$need" = 1 ]; then
					echo "AIORING-TEST: FAIL kmemleak (not available)"
					exit 1
				fi
				echo "AIORING-TEST: SKIP kmemleak"
				exit 0
			fi
			if ! scan || ! cat $K >/tmp/kmemleak.txt; then
				echo "kmemleak: scan failed (kmemleak disabled?):"
				dmesg | grep -i kmemleak | tail -n 5
				echo "AIORING-TEST: FAIL kmemleak (scan failed)"
				exit 1
			fi
			n=$(records /tmp/kmemleak.txt)
			a=$(awk '/^unreferenced object/ { if (hit) c++; hit = 0 }
				/aioring/ { hit = 1 } END { if (hit) c++; print c + 0 }' /tmp/kmemleak.txt)
			echo "AIORING-KMEMLEAK-BEGIN"
			cat /tmp/kmemleak.txt
			echo "AIORING-KMEMLEAK-END"
			if [ "$n" -eq 0 ]; then
				echo "AIORING-TEST: PASS kmemleak"
				exit 0
			fi
			echo "kmemleak: $n unreferenced object(s), $a naming aioring"
			echo "AIORING-TEST: FAIL kmemleak ($n leaks)"
			exit 1
			;;
		esac
	EOF
	export LAB_TESTS_DIR="$dir"
}

# judge_kmemleak KVER CONSOLE - the kmemleak step must have reported; show
# its report when it failed.
judge_kmemleak() {
	local kver=$1 console=$2
	if ! tr -d '\r' <"$console" | grep -aE 'AIORING-TEST: (PASS|FAIL|SKIP) kmemleak' >/dev/null; then
		# judge_guest already failed boot-<kver> if the guest died first.
		record "$kver" FAIL kmemleak
		log "$kver: FAIL kmemleak (the guest never reported it)"
	elif tr -d '\r' <"$console" | grep -a 'AIORING-TEST: FAIL kmemleak' >/dev/null; then
		log "$kver: kmemleak report:"
		tr -d '\r' <"$console" | sed -n '/^AIORING-KMEMLEAK-BEGIN/,/^AIORING-KMEMLEAK-END/p' |
			grep -v '^AIORING-KMEMLEAK-' | head -n 200 | sed 's/^/    | /' >&2
	fi
}

main() {
	local series kver
	[ "$(id -u)" -eq 0 ] || die "the lab needs root (apt, kernel build)"
	mkdir -p "$LAB_CACHE/logs" "$LAB_BUILD"
	# shellcheck disable=SC2086 # a list of words
	apt_ensure $HOST_PACKAGES
	if [ -n "$LAB_DEBUG_STANDIN" ]; then
		series=$LAB_DEBUG_STANDIN
		log "aioring lab check-debug with stand-in kernel $series (no debug kernel)"
		kernel_prepare "$series"
	else
		series=debug
		log "aioring lab check-debug$([ "$LAB_COVERAGE" != 1 ] || echo ' (coverage)'): debug kernel from $DEBUG_SRC_PKG, cache $LAB_CACHE"
		debug_kernel_prepare
	fi
	kver=$(. "$LAB_CACHE/kernels/$series.env" && echo "$KVER")
	accel_choose "$series"
	if (build_userspace); then
		record userspace PASS build-userspace
	else
		record userspace FAIL build-userspace
	fi
	stage_debug_tests "$kver"
	rm -f "$LAB_BUILD/$kver/console-check.log"
	test_kernel "$series"
	# test_kernel records build-<kver> FAIL and skips the boot when the
	# module did not build; there is no kmemleak result to judge then.
	if [ -e "$LAB_BUILD/$kver/console-check.log" ]; then
		judge_kmemleak "$kver" "$LAB_BUILD/$kver/console-check.log"
		if [ "$LAB_COVERAGE" = 1 ]; then
			if coverage_report "$kver"; then
				record "$kver" PASS coverage-report
			else
				record "$kver" FAIL coverage-report
			fi
		fi
	fi
	summary
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
