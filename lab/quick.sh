#!/bin/bash
# SPDX-License-Identifier: MIT
#
# lab/quick.sh SERIES [TEST ...] - a developer's short run: build the module
# for one kernel and the tests, boot that kernel with only the named tests
# (every test if none is named) and print the results and the kernel log's
# problems. Needs a lab that `make check` has set up once (kernels, chroots,
# the accelerator decision is made again here). Not part of `make check`.
#
#   lab/quick.sh 6.1 reg-buffers iopoll
#   lab/quick.sh 6.1 'fuzz --seed 0x1234 --replay 7'   # a test with arguments
#   LAB_BUILD=/tmp/qb lab/quick.sh 7.2        # a private build directory
#
# Use a LAB_BUILD of your own when another run is going on.

set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$LAB_DIR/build.sh"
. "$LAB_DIR/initramfs.sh"
. "$LAB_DIR/boot.sh"

[ $# -ge 1 ] || die "usage: $0 SERIES [TEST ...]"
series=$1
shift
[ -e "$LAB_CACHE/kernels/$series.env" ] ||
	die "kernel $series is not prepared: run make check (or lab/kernels.sh $series) once"
mkdir -p "$LAB_BUILD"
# shellcheck disable=SC1090
kver=$(. "$LAB_CACHE/kernels/$series.env" && echo "$KVER")

(build_userspace) || die "userspace build failed"
(build_module "$series") || die "the module did not build for $kver (see $LAB_BUILD/$kver/build.log)"

sub="$LAB_BUILD/quick-tests"
rm -rf "$sub"
mkdir -p "$sub"
if [ $# -eq 0 ]; then
	cp -a "$REPO_DIR/tests/build/." "$sub/"
else
	for t; do
		name=${t%% *}
		[ -e "$REPO_DIR/tests/build/$name" ] || die "no test $name in tests/build"
		if [ "$name" = "$t" ]; then
			cp -a "$REPO_DIR/tests/build/$name" "$sub/"
		else
			# With arguments: the binary where run-tests.sh does not
			# look (a directory), a script of the same name running it.
			mkdir -p "$sub/bin"
			cp -a "$REPO_DIR/tests/build/$name" "$sub/bin/"
			printf '#!/bin/sh\nexec /tests/bin/%s\n' "$t" >"$sub/$name"
			chmod 0755 "$sub/$name"
		fi
	done
fi
install -m 0755 "$REPO_DIR/tests/run-tests.sh" "$sub/run-tests.sh"

LAB_TESTS_DIR=$sub make_initramfs "$series" check
accel_choose "$series"
run_guest "$series" check || log "QEMU exited with an error"
console="$LAB_BUILD/$kver/console-check.log"
tr -d '\r' <"$console" | grep -a 'AIORING-TEST:' || true
if ! hits=$(scan_log "$console"); then
	echo "kernel log shows problems:"
	echo "$hits" | head -n 80
	exit 1
fi
! tr -d '\r' <"$console" | grep -aq 'AIORING-TEST: FAIL'
