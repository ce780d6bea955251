#!/bin/bash
# lab/libaio.sh - libaio's own test harness, for the libaio shim's guest tests.
#
# lib/aio/libaioring-aio.so implements libaio's API on /dev/aioring; its
# acceptance test is libaio's harness (harness/cases/*.t in the libaio
# source package), built unmodified against the system's libaio.so.1 and
# run in the guest with LD_PRELOAD of the shim (tests/scripts/libaio-*).
#
#   libaio_prepare     fetch the source of the installed libaio1 with
#                      lab/apt-source.sh (private apt state under the
#                      cache: the host's apt configuration is not
#                      touched), build every harness case
#                      dynamically against libaio.so.1; cached under
#                      $LAB_CACHE/libaio/<version>/ with a stamp
#   libaio_bindings    host check: with LD_PRELOAD and LD_BIND_NOW, every
#                      io_* reference of a harness binary and of libaio.so.1
#                      itself binds to the shim (LD_DEBUG=bindings)
#   libaio_semantics   build lib/aio/aio-semantics.c against libaio.so.1
#                      into $LAB_BUILD/aio-semantics and run it on the host's
#                      kernel AIO: the oracle for what the guest test
#                      libaio-semantics then checks under the shim; also
#                      build lib/aio/aio-destroy-race.c (guest only: it
#                      uses contexts after io_destroy, which only the shim
#                      answers safely)
#   stage_libaio ROOT  /libaio in a check initramfs: the cases and
#                      aio-semantics (sbin/), libaio.so.1 and their
#                      libraries (lib/), the shim
#
# Run directly: lab/libaio.sh [prepare|bindings|semantics].

set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LIBAIO_PACKAGES="libaio1 dpkg-dev"
LIBAIO_CACHE=$LAB_CACHE/libaio
LIBAIO_SHIM=$REPO_DIR/lib/aio/libaioring-aio.so

# libaio_dir - where the built harness of the current source version is
# (empty before libaio_prepare ran).
libaio_dir() {
	local d
	d=$(cat "$LIBAIO_CACHE/current" 2>/dev/null) || return 0
	stamp_ok "$d" && echo "$d"
	return 0
}

libaio_prepare() {
	local ver dir src
	# shellcheck disable=SC2086 # a list of words
	apt_ensure $LIBAIO_PACKAGES
	# The harness of the libaio.so.1 it runs against.
	# shellcheck disable=SC2016 # dpkg-query's own ${field} syntax
	ver=$(dpkg-query -W -f='${Version}' libaio1)
	dir=$LIBAIO_CACHE/$ver
	mkdir -p "$LIBAIO_CACHE"
	echo "$dir" >"$LIBAIO_CACHE/current"
	stamp_ok "$dir" && return 0

	log "libaio: apt-get source libaio=$ver, building its harness"
	rm -rf "$dir"
	src=$(bash "$LAB_DIR/apt-source.sh" "$LIBAIO_CACHE/apt" "$dir/src" "libaio=$ver" \
		2>>"$LAB_CACHE/logs/libaio-source.log") ||
		{ log "libaio: cannot fetch its source (log: $LAB_CACHE/logs/libaio-source.log)"; return 1; }
	# Every case, also the ones the Makefile keeps for "extracheck"
	# (8, 10: need mounted ext2 images) and 23 (Debian leaves it out),
	# linked against the installed libaio.so.1 (no libaio-dev needed).
	run_logged "$LAB_CACHE/logs/libaio-build.log" make -C "$src/harness" \
		LIBAIO=/lib/x86_64-linux-gnu/libaio.so.1 all || return 1
	mkdir -p "$dir/cases"
	cp "$src"/harness/cases/*.p "$dir/cases/"
	stamp_set "$dir"
	log "libaio: $(find "$dir/cases" -name '*.p' | wc -l) harness cases built from libaio $ver"
}

# libaio_bindings - every io_* symbol a harness case and libaio.so.1 use
# must bind to the shim. The run itself fails (no /dev/aioring on the
# host); LD_BIND_NOW resolves all references before main().
libaio_bindings() {
	local dir bad good out
	dir=$(libaio_dir)
	if [ -z "$dir" ] || [ ! -e "$LIBAIO_SHIM" ]; then
		log "libaio-bindings: nothing built"
		return 1
	fi
	out=$(
		cd /tmp || exit 0
		LD_DEBUG=bindings LD_BIND_NOW=1 LD_PRELOAD="$LIBAIO_SHIM" \
			"$dir/cases/3.p" 2>&1 >/dev/null | grep -E "normal symbol \`io_" || true
	)
	good=$(printf '%s\n' "$out" | grep -c "to $LIBAIO_SHIM " || true)
	bad=$(printf '%s\n' "$out" | grep -v "to $LIBAIO_SHIM " | grep -c . || true)
	log "libaio-bindings: $good io_* references bound to the shim, $bad elsewhere"
	if [ "$bad" -ne 0 ] || [ "$good" -lt 4 ]; then
		printf '%s\n' "$out" | sed 's/^/    | /' >&2
		return 1
	fi
}

# libaio_semantics - build aio-semantics and run it on the kernel's AIO.
libaio_semantics() {
	local bin=$LAB_BUILD/aio-semantics tmp rc=0
	mkdir -p "$LAB_BUILD"
	run_logged "$LAB_BUILD/aio-semantics.log" cc -O2 -Wall -Wextra -Werror \
		-o "$bin" "$REPO_DIR/lib/aio/aio-semantics.c" \
		/lib/x86_64-linux-gnu/libaio.so.1 -pthread || return 1
	run_logged "$LAB_BUILD/aio-destroy-race.log" cc -O2 -Wall -Wextra -Werror \
		-o "$LAB_BUILD/aio-destroy-race" "$REPO_DIR/lib/aio/aio-destroy-race.c" \
		/lib/x86_64-linux-gnu/libaio.so.1 -pthread || return 1
	tmp=$(mktemp -d)
	run_logged "$LAB_BUILD/aio-semantics-kernel.log" "$bin" "$tmp" || rc=$?
	rm -rf "$tmp"
	[ "$rc" -eq 0 ] && log "libaio-semantics-kernel: $(grep -c '^ok' "$LAB_BUILD/aio-semantics-kernel.log") checks hold on the host's kernel AIO"
	return "$rc"
}

# stage_libaio ROOT - /libaio in the initramfs (when libaio_prepare ran
# and the shim is built; the guest tests skip otherwise).
stage_libaio() {
	local root=$1 dir
	dir=$(libaio_dir)
	if [ -z "$dir" ] || [ ! -e "$LIBAIO_SHIM" ]; then
		return 0
	fi
	# shellcheck disable=SC2046 # file names without spaces
	stage_tools "$root" libaio "" "$(echo "$dir"/cases/*.p)"
	rm -rf "$root/libaio/modules"
	install -m 0755 "$LIBAIO_SHIM" "$root/libaio/lib/libaioring-aio.so"
	[ ! -x "$LAB_BUILD/aio-semantics" ] ||
		install -m 0755 "$LAB_BUILD/aio-semantics" "$root/libaio/sbin/aio-semantics"
	if [ -x "$LAB_BUILD/aio-destroy-race" ]; then
		install -m 0755 "$LAB_BUILD/aio-destroy-race" "$root/libaio/sbin/aio-destroy-race"
		# glibc's pthread_cancel() dlopen()s libgcc_s for unwinding
		cp -L "$(cc -print-file-name=libgcc_s.so.1)" "$root/libaio/lib/"
	fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-prepare}" in
	prepare) libaio_prepare ;;
	bindings) libaio_bindings ;;
	semantics) libaio_semantics ;;
	*) die "usage: $0 [prepare|bindings|semantics]" ;;
	esac
fi
