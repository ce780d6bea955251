#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Helpers of the fio-* guest tests (busybox sh), sourced by them; the
# runner skips *.sh files. fio is the one lab/fio.sh built from the Debian
# fio source and staged at /lab/sbin/fio with its libraries in /lab/lib;
# the engine is /lab/fio/aioring-fio.so.
#
# fio is judged on three things, never on one alone: its exit status, the
# error field of its terse (v3) output, and the number of KiB it wrote and
# read (a verify pass reads back everything that was written).

FIO=${AIORING_FIO:-/lab/sbin/fio}
FIO_ENGINE=${AIORING_FIO_ENGINE:-/lab/fio/aioring-fio.so}
FIO_OUT=/tmp/fio-test.$$

fio_require() {
	if [ ! -x "$FIO" ] || [ ! -e "$FIO_ENGINE" ]; then
		echo "SKIP: no fio ($FIO) or no engine ($FIO_ENGINE) in this guest"
		exit 77
	fi
}

# fio_run ARGS... - run fio with the aioring engine, terse output in
# $FIO_OUT, messages in $FIO_OUT.err; returns fio's exit status.
fio_run() {
	echo "+ fio --ioengine=external:$FIO_ENGINE $*"
	LD_LIBRARY_PATH=/lab/lib "$FIO" --output-format=terse \
		--ioengine="external:$FIO_ENGINE" "$@" >"$FIO_OUT" 2>"$FIO_OUT.err"
}

# fio_judge RC WRITE_KB READ_KB - 0 if fio exited 0, reported no error and
# moved exactly WRITE_KB and READ_KB (a value of - is not checked).
fio_judge() {
	rc=$1
	want_w=$2
	want_r=$3
	# terse v3: 5 error, 6 read KiB, 47 write KiB
	line=$(grep '^3;fio-' "$FIO_OUT" | head -n1)
	err=$(echo "$line" | cut -d';' -f5)
	got_r=$(echo "$line" | cut -d';' -f6)
	got_w=$(echo "$line" | cut -d';' -f47)
	echo "  exit $rc, error ${err:-?}, wrote ${got_w:-?} KiB, read ${got_r:-?} KiB"
	ok=0
	if [ "$rc" -ne 0 ]; then
		echo "  fio: expected exit 0, got $rc"
		ok=1
	fi
	if [ -z "$line" ]; then
		echo "  fio: expected a terse result line, got none"
		ok=1
	elif [ "$err" != 0 ]; then
		echo "  fio: expected error 0, got $err"
		ok=1
	fi
	if [ "$want_w" != - ] && [ "$got_w" != "$want_w" ]; then
		echo "  fio: expected $want_w KiB written, got $got_w"
		ok=1
	fi
	if [ "$want_r" != - ] && [ "$got_r" != "$want_r" ]; then
		echo "  fio: expected $want_r KiB read, got $got_r"
		ok=1
	fi
	if [ $ok -ne 0 ]; then
		sed 's/^/  | /' "$FIO_OUT.err" "$FIO_OUT" | head -n 40
	fi
	return $ok
}

# fio_stat NAME - a counter from the engine's ring_stats line in $FIO_OUT.
fio_stat() {
	sed -n "s/.*aioring-stats:.* $1=\([0-9]*\).*/\1/p" "$FIO_OUT" | head -n1
}

# fio_check_mode MODE DIRECT - the ring's counters show MODE's path: every
# request went through the ring; with workqueue every one was handed to a
# worker; inline O_DIRECT completes from the block layer.
fio_check_mode() {
	grep 'aioring-stats:' "$FIO_OUT" | sed 's/^/  /'
	sub=$(fio_stat submitted)
	if [ "${sub:-0}" -le 0 ]; then
		echo "  ring counters: expected requests submitted, got ${sub:-no counters}"
		return 1
	fi
	case "$1.$2" in
	workqueue.*)
		if [ "$(fio_stat punted)" != "$sub" ]; then
			echo "  workqueue: expected all $sub requests punted, got $(fio_stat punted)"
			return 1
		fi
		;;
	inline.1)
		if [ "$(fio_stat async)" -le 0 ]; then
			echo "  inline O_DIRECT: expected completions from the block layer, got none"
			return 1
		fi
		;;
	esac
	return 0
}

# fio_verify FILE MODE DIRECT [ARGS...] - random writes of 4-64 KiB blocks
# over 4 MiB, then fio reads everything back and checks every block's
# crc32c; any mismatch is an error (verify_fatal).
fio_verify() {
	file=$1
	mode=$2
	direct=$3
	shift 3
	rm -f "$file"
	fio_run --name=verify --filename="$file" --submit_mode="$mode" \
		--direct="$direct" --rw=randwrite --bsrange=4k-64k --size=4m \
		--iodepth=16 --verify=crc32c --verify_fatal=1 --ring_stats=1 "$@"
	fio_judge $? 4096 4096
	rc=$?
	fio_check_mode "$mode" "$direct" || rc=1
	rm -f "$file"
	return $rc
}

# fio_verify_test MODE buffered|direct - one test: write+verify in MODE.
fio_verify_test() {
	fio_require
	case "$2" in
	direct) direct=1 ;;
	*) direct=0 ;;
	esac
	fio_verify "${AIORING_TEST_DIR:-/tmp}/fio-verify-$1-$2.dat" "$1" $direct
	rc=$?
	rm -f "$FIO_OUT" "$FIO_OUT.err"
	exit $rc
}
