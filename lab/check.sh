#!/bin/bash
# lab/check.sh - the lab's orchestrator: `make check` and `make demo`.
#
#   lab/check.sh check   for every kernel series in $KERNELS: fetch the kernel
#                        and its headers (kernels.sh), build the module for it
#                        (build.sh), pack an initramfs (initramfs.sh), boot it
#                        in QEMU, run tests/run-tests.sh in the guest and scan
#                        the kernel log (boot.sh); then print a summary.
#   lab/check.sh demo    the same for one kernel ($DEMO_KERNEL, default 6.1),
#                        running examples/ring-cat instead of the tests, and
#                        shows what it printed.
#
# Every step of the run counts as a test besides the guest's own:
#   build-userspace     lib/, tests/, examples/ built
#   fio-engine-<ver>    the fio engine built against fio <ver> (lab/fio.sh)
#   build-<kver>        the module built for that kernel without a warning,
#                       installed and uninstalled by DKMS (dkms.sh)
#   deb-build, deb-lintian, deb-install   the Debian packages (deb.sh)
#   make-dkms-install   make dkms-install/uninstall with DKMS's own trees (deb.sh)
#   lab-accel-choice    the accelerator decision, against stand-in QEMUs
#                       (lab/accel-test.sh)
#   boot-<kver>         the guest ran the tests to the end (AIORING-TESTS-DONE)
#   lab-kernel-silent-<kver>  only as a failure: the kernel printed nothing
#   dmesg-<kver>        the guest's kernel log is free of BUG/WARNING/lockdep/...
# The last line is "N passed, N failed, N skipped"; the exit status is
# nonzero if anything failed.  Logs stay under $LAB_BUILD/<kver>/.

set -euo pipefail
LAB_T0=$(date +%s)
export LAB_T0
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$LAB_DIR/kernels.sh"
. "$LAB_DIR/build.sh"
. "$LAB_DIR/initramfs.sh"
. "$LAB_DIR/boot.sh"
. "$LAB_DIR/fio.sh"
. "$LAB_DIR/deb.sh"

HOST_PACKAGES="$LAB_HOST_PACKAGES man-db groff-base"

# Results: per kernel "pass fail skip" counters and the list of failures.
declare -A NPASS NFAIL NSKIP
FAILED=()
KVERS=()

# record KEY RESULT NAME - count one result (PASS/FAIL/SKIP) under KEY.
record() {
	local key=$1 res=$2 name=$3
	case "$res" in
	PASS) NPASS[$key]=$(( ${NPASS[$key]:-0} + 1 )) ;;
	SKIP) NSKIP[$key]=$(( ${NSKIP[$key]:-0} + 1 )) ;;
	*)
		NFAIL[$key]=$(( ${NFAIL[$key]:-0} + 1 ))
		FAILED+=("$key: $name")
		;;
	esac
}

# judge_guest KVER CONSOLE - count the guest's test results, its reaching
# the end of the run, and the kernel log scan.
judge_guest() {
	local kver=$1 console=$2 res name hits
	while read -r _ res name; do
		record "$kver" "$res" "$name"
		if [ "$res" = FAIL ]; then
			log "$kver: FAIL $name, console before it:"
			tr -d '\r' <"$console" | grep -a -B12 -F "AIORING-TEST: FAIL $name" |
				head -n 13 | sed 's/^/    | /' >&2
		fi
	done < <(tr -d '\r' <"$console" |
		grep -aoE 'AIORING-TEST: (PASS|FAIL|SKIP) [^[:space:]]+' || true)

	# grep without -q: it reads to the end, so tr never dies of SIGPIPE
	# (under pipefail that would fail a console that has the line).
	if tr -d '\r' <"$console" | grep -a 'AIORING-TESTS-DONE' >/dev/null; then
		record "$kver" PASS "boot-$kver"
	else
		# The test that was running when the guest crashed or hung has
		# no result line of its own: it fails here.
		name=$(tr -d '\r' <"$console" |
			sed -n 's/.*AIORING-TEST: START \([^[:space:]]*\).*/\1/p' | tail -n1)
		if [ -n "$name" ] && ! tr -d '\r' <"$console" |
			grep -aE "AIORING-TEST: (PASS|FAIL|SKIP) $name( |\$)" >/dev/null; then
			record "$kver" FAIL "$name"
			log "$kver: FAIL $name (it never finished)"
		fi
		record "$kver" FAIL "boot-$kver"
		log "$kver: the guest never printed AIORING-TESTS-DONE; console tail:"
		tr -d '\r' <"$console" | tail -n 30 | sed 's/^/    | /' >&2
	fi

	if hits=$(scan_log "$console"); then
		record "$kver" PASS "dmesg-$kver"
	else
		record "$kver" FAIL "dmesg-$kver"
		log "$kver: kernel log shows problems:"
		echo "$hits" | head -n 60 | sed 's/^/    | /' >&2
	fi
}

# test_kernel SERIES - build, boot and judge one kernel.
test_kernel() {
	local series=$1 kver
	kver=$(. "$LAB_CACHE/kernels/$series.env" && echo "$KVER")
	KVERS+=("$kver")
	if ! (build_module "$series"); then
		record "$kver" FAIL "build-$kver"
		record "$kver" FAIL "boot-$kver"
		log "$kver: boot skipped, the module did not build cleanly"
		return 0
	fi
	record "$kver" PASS "build-$kver"
	(make_initramfs "$series" check) || die "cannot make the initramfs for $kver"
	(run_guest "$series" check) ||
		log "$kver: QEMU exited with an error (124: timeout, 125: stopped as wedged)"
	# A guest that never reached /init hung in the kernel's own boot,
	# before aioring was loaded: no test ran.  If its kernel printed
	# anything, that may be a one-off (seen once in many boots under TCG):
	# keep that console and boot once more.  A kernel that printed nothing
	# at all is a lab failure (a broken accelerator, a bad image), reported
	# now rather than after a second wait.
	local console="$LAB_BUILD/$kver/console-check.log"
	if ! reached_init "$console"; then
		cp "$console" "$LAB_BUILD/$kver/console-check.noinit.log"
		if kernel_printed "$console"; then
			log "$kver: the kernel never reached /init (console kept as console-check.noinit.log); booting once more"
			(run_guest "$series" check) ||
				log "$kver: QEMU exited with an error (124: timeout, 125: stopped as wedged)"
		else
			log "$kver: lab failure: the kernel printed nothing (QEMU $(accel_args)); not booting it again"
			record "$kver" FAIL "lab-kernel-silent-$kver"
		fi
	fi
	judge_guest "$kver" "$LAB_BUILD/$kver/console-check.log"
}

summary() {
	local key p f s tp=0 tf=0 ts=0 x
	echo
	echo "==== aioring lab summary ($(( $(date +%s) - LAB_T0 ))s) ===="
	for key in userspace "${KVERS[@]}"; do
		p=${NPASS[$key]:-0} f=${NFAIL[$key]:-0} s=${NSKIP[$key]:-0}
		tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
		echo "$key: $p passed, $f failed, $s skipped"
	done
	if [ "${#FAILED[@]}" -gt 0 ]; then
		echo "FAILED:"
		for x in "${FAILED[@]}"; do echo "  $x"; done
	fi
	echo "logs: $LAB_BUILD/<kver>/{build.log,console-check.log}"
	echo "$tp passed, $tf failed, $ts skipped"
	[ "$tf" -eq 0 ]
}

# check_man_pages - render every page in man/ with man -l: each must
# produce text and no warning. A page that is only ".so manN/target.N"
# (one more name for a page, as liburing's) is not rendered, because man -l
# resolves .so from a man hierarchy, not from man/; its target must exist.
check_man_pages() {
	local page out err rc=0 target
	for page in "$REPO_DIR"/man/*.[0-9]; do
		if target=$(sed -n '1s/^\.so man[0-9]\/\([^ ]*\)$/\1/p' "$page") &&
			[ -n "$target" ] && [ "$(wc -l <"$page")" -eq 1 ]; then
			if [ ! -f "$REPO_DIR/man/$target" ]; then
				log "man page $(basename "$page"): .so target $target is missing"
				rc=1
			fi
			continue
		fi
		err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=all -l "$page" 2>&1 >/dev/null)
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | wc -l)
		if [ -n "$err" ] || [ "$out" -lt 20 ]; then
			log "man page $(basename "$page"): $out lines; ${err:-no warnings}"
			rc=1
		fi
	done
	return $rc
}

# check_man_poll_signalfd - the pages that describe POLL_ADD must say that
# a poll on a signalfd fails with EOPNOTSUPP (tests/poll-signalfd checks
# the module); rendered text, so markup changes do not matter.
check_man_poll_signalfd() {
	local page rc=0
	for page in aioring.7 aioring_prep_read.3; do
		LC_ALL=C.UTF-8 MANWIDTH=1000 man -l "$REPO_DIR/man/$page" 2>/dev/null |
			tr -s ' \n' '  ' | grep 'signalfd(2) fails with EOPNOTSUPP' >/dev/null ||
			{ log "man page $page does not say POLL_ADD on a signalfd fails with EOPNOTSUPP"; rc=1; }
	done
	return $rc
}

# check_info_host - aioring-info on the host, which cannot load modules: it
# must say the module is not loaded and exit 0, its JSON must pass
# tests/info-json, it must blame seccomp filters (tests/info-seccomp), and
# --module must read dkms.conf's version (the one
# source of it) from every aioring.ko this run built.
check_info_host() {
	local info="$REPO_DIR/tools/build/aioring-info" out rc=0 kver ver want
	want=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$REPO_DIR/dkms.conf")
	out=$("$info") || { log "aioring-info without the module: exit $?"; rc=1; }
	grep -q '^  loaded: *no: the aioring module is not loaded$' <<<"$out" ||
		{ log "aioring-info on the host does not say the module is not loaded"; rc=1; }
	AIORING_INFO=$info "$REPO_DIR/tests/build/info-json" >&2 ||
		{ log "tests/info-json on the host failed"; rc=1; }
	AIORING_INFO=$info "$REPO_DIR/tests/build/info-seccomp" >&2 || [ $? -eq 77 ] ||
		{ log "tests/info-seccomp on the host failed"; rc=1; }
	for kver in "${KVERS[@]}"; do
		[ -e "$LAB_BUILD/$kver/aioring.ko" ] || continue
		out=$("$info" --module "$LAB_BUILD/$kver/aioring.ko")
		ver=$(sed -n '/^Module/,/^$/s/^  version: *//p' <<<"$out")
		[ "$ver" = "$want" ] ||
			{ log "aioring.ko for $kver: version '$ver', dkms.conf says '$want'"; rc=1; }
		grep -q '^  build features: *[A-Z]' <<<"$out" ||
			{ log "aioring.ko for $kver: no build features recorded"; rc=1; }
	done
	return $rc
}

do_check() {
	local series
	log "aioring lab: kernels $KERNELS, cache $LAB_CACHE"
	# Kernels are fetched in parallel: on a first run that is mostly
	# mmdebstrap and downloads, which overlap well.
	local pids=() i
	# shellcheck disable=SC2086 # a list of words
	set -- $KERNELS
	for series; do
		suite_of "$series" >/dev/null
		(kernel_prepare "$series") &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || die "cannot prepare kernel ${*:$((i + 1)):1}"
	done
	accel_choose "$1" # one boot decides KVM or TCG for all guests
	if (bash "$LAB_DIR/accel-test.sh"); then
		record userspace PASS lab-accel-choice
	else
		record userspace FAIL lab-accel-choice
	fi
	if (build_userspace); then
		record userspace PASS build-userspace
	else
		record userspace FAIL build-userspace
	fi
	# libaio's harness for the libaio shim's guest tests (lab/libaio.sh)
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
	if (check_man_pages); then
		record userspace PASS man-pages
	else
		record userspace FAIL man-pages
	fi
	if (check_man_poll_signalfd); then
		record userspace PASS man-poll-signalfd
	else
		record userspace FAIL man-poll-signalfd
	fi
	fio_prepare # the fio engine builds; fio for the guest
	# Debian packages: deb-build, deb-lintian, deb-install (lab/deb.sh)
	deb_check
	for series in $KERNELS; do
		test_kernel "$series"
	done
	if (check_info_host); then
		record userspace PASS info-no-module
	else
		record userspace FAIL info-no-module
	fi
	summary
}

do_demo() {
	local series=${DEMO_KERNEL:-6.1} kver console rc
	(kernel_prepare "$series") || die "cannot prepare kernel $series"
	accel_choose "$series"
	kver=$(. "$LAB_CACHE/kernels/$series.env" && echo "$KVER")
	(build_userspace) || die "userspace build failed"
	(build_module "$series") || die "module build failed for $kver"
	(make_initramfs "$series" demo) || die "cannot make the initramfs"
	(run_guest "$series" demo) || log "QEMU exited with an error"
	console="$LAB_BUILD/$kver/console-demo.log"
	echo
	echo "==== /examples/ring-cat /mnt/test/demo.txt on $kver ===="
	tr -d '\r' <"$console" | sed -n '/^AIORING-DEMO-BEGIN/,/^AIORING-DEMO-END/p' |
		grep -v '^AIORING-DEMO-BEGIN'
	echo "==== aioring kernel messages ===="
	tr -d '\r' <"$console" | sed -n '/^AIORING-DMESG-BEGIN/,/^AIORING-DMESG-END/p' |
		grep -a 'aioring' || true
	echo "(full console: $console)"
	rc=$(tr -d '\r' <"$console" | sed -n 's/^AIORING-DEMO-END status=\([0-9]*\).*/\1/p')
	if hits=$(scan_log "$console"); then :; else
		echo "kernel log shows problems:"
		echo "$hits"
		rc=1
	fi
	[ "${rc:-1}" = 0 ]
}

main() {
	local mode=${1:-check}
	[ "$(id -u)" -eq 0 ] || die "the lab needs root (apt, chroot, mount)"
	mkdir -p "$LAB_CACHE/logs" "$LAB_BUILD"
	# shellcheck disable=SC2086
	apt_ensure $HOST_PACKAGES
	case "$mode" in
	check) do_check ;;
	demo) do_demo ;;
	*) die "usage: $0 check|demo" ;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
