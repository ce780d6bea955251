#!/bin/bash
# lab/fio.sh - the fio engine in the lab: build it, and a fio for the guest.
#
# fio_prepare (called by check.sh after the userspace build) does, and
# records as userspace results:
#   fio-engine-<ver>   fio/aioring-fio.c builds, warning-free, against the
#                      source of the host's fio (bookworm: 3.33), fetched and
#                      configured by fio/fio-source.sh under $LAB_CACHE/fio
#   fio-engine-<ver>   the same engine source against the fio of a newer
#                      suite ($FIO_NEWER_SUITE, default sid), built in that
#                      suite's cached chroot
#   fio-engine-<ver>-loads  that fio loads the engine and runs a job up to
#                      the engine's ring setup (there is no /dev/aioring on
#                      the host): Debian's /usr/bin/fio for the host's
#                      version, a fio built from the suite's source in the
#                      chroot for the newer one
# and leaves in $LAB_BUILD/fio/:
#   fio                a fio built from the host's fio source with few
#                      optional libraries but with libaio (Debian's
#                      /usr/bin/fio pulls in 80 MB of libraries), dynamically
#                      linked: fio dlopen()s external engines
#   aioring-fio.so     the engine for that fio
# stage_check (initramfs.sh) puts them in the test guest as /lab/sbin/fio
# (its libraries in /lab/lib: run it with LD_LIBRARY_PATH=/lab/lib) and
# /lab/fio/aioring-fio.so, with the job files of examples/*.fio in /lab/fio.
#
# The fio source trees and the fio binary are built once and cached (stamp
# files, under a lock: the cache is shared by every lab run on the machine).
# Into the newer suite's chroot this copies fio/fio-source.sh and runs it
# there; it installs nothing into the chroot (the chroot has no dpkg-source,
# so the source is the upstream tarball of that suite's fio, checked against
# the suite's Sources index).
#
# Run directly: lab/fio.sh (prepares everything and prints the results).

set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FIO_HOST_PACKAGES="fio dpkg-dev libaio-dev zlib1g-dev"
FIO_NEWER_SUITE=${FIO_NEWER_SUITE:-sid}
FIO_CACHE="$LAB_CACHE/fio"

# fio_locked CMD... - run CMD holding the fio cache's lock.
fio_locked() {
	mkdir -p "$FIO_CACHE"
	(
		flock 9
		"$@"
	) 9>"$FIO_CACHE/.lock"
}

# fio_src_version TREE - "3.33" of a fio source tree.
fio_src_version() {
	sed -n 's/^DEF_VER=fio-//p' "$1/FIO-VERSION-GEN"
}

# fio_host_tree - fetch and configure the host fio's source; build fio in
# it once. Prints the tree.
fio_host_tree() {
	local tree
	tree=$("$REPO_DIR/fio/fio-source.sh" "$FIO_CACHE/host") || return 1
	if [ ! -e "$tree/fio.built.stamp" ] || [ ! -x "$tree/fio" ]; then
		log "building fio $(fio_src_version "$tree") for the guest (once; about 3 minutes)"
		run_logged "$FIO_CACHE/host/fio-build.log" \
			nice make -C "$tree" -j"$(nproc)" fio || return 1
		date -u +%FT%TZ >"$tree/fio.built.stamp"
	fi
	echo "$tree"
}

# fio_engine_host TREE OUT - build the engine against TREE into OUT.
fio_engine_host() {
	local tree=$1 out=$2 logfile
	logfile="$LAB_BUILD/fio/engine-$(fio_src_version "$tree").log"
	rm -f "$out"
	run_logged "$logfile" make -C "$REPO_DIR/fio" FIO_SRC="$tree" ENGINE="$out" ||
		return 1
	! grep -qi warning "$logfile" ||
		{ log "the fio engine build printed warnings (log: $logfile)"; return 1; }
}

# fio_chroot_tree CHROOT - in the chroot: fetch and configure its suite's
# fio source under /build/fio-src. Prints the tree as seen in the chroot.
fio_chroot_tree() {
	local root=$1 version tree
	mkdir -p "$root/build/fio-src"
	install -m 0755 "$REPO_DIR/fio/fio-source.sh" "$root/build/fio-src/fio-source.sh"
	# fio-source.sh finds it in ../lab/, as in the repository.
	install -D -m 0755 "$LAB_DIR/apt-source.sh" "$root/build/lab/apt-source.sh"
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	# shellcheck disable=SC2016 # apt-cache's output, not a shell variable
	version=$(in_chroot "$root" apt-cache show fio 2>/dev/null |
		sed -n 's/^Version: //p' | sort -V | tail -n1)
	[ -n "$version" ] || { log "no fio package in the chroot's apt lists"; return 1; }
	tree=$(in_chroot "$root" bash /build/fio-src/fio-source.sh /build/fio-src "$version" \
		2>>"$LAB_BUILD/fio/source-$FIO_NEWER_SUITE.log") || return 1
	# fio itself, once, to load the engine into
	if [ ! -e "$root$tree/fio.built.stamp" ] || [ ! -x "$root$tree/fio" ]; then
		log "building fio $(fio_src_version "$root$tree") in the $FIO_NEWER_SUITE chroot (once)"
		run_logged "$LAB_BUILD/fio/fio-build-$FIO_NEWER_SUITE.log" \
			in_chroot "$root" nice make -C "$tree" -j"$(nproc)" fio || return 1
		date -u +%FT%TZ >"$root$tree/fio.built.stamp"
	fi
	echo "$tree"
}

# fio_engine_loads LOG FIO-CMD... - the engine loads into that fio: a job
# gets as far as the engine's init (fio names the engine "aioring" once it
# is loaded) and, without /dev/aioring (the host, a chroot), stops at the
# ring setup with the engine's own message; the engine's version guard and
# fio's ioengine ABI check must stay silent. FIO-CMD ends with the
# ioengine=external: option.
fio_engine_loads() {
	local logfile=$1
	shift
	"$@" --name=load --filename=/tmp/aioring-fio-load.dat --size=4k --rw=read \
		--submit_mode=inline >"$logfile" 2>&1 || true
	rm -f /tmp/aioring-fio-load.dat
	if grep -q 'ioengine=aioring' "$logfile" &&
		grep -qE 'aioring: no /dev/aioring|Run status' "$logfile" &&
		! grep -qE 'built against|bad ioops|not loadable' "$logfile"; then
		return 0
	fi
	log "the fio engine did not load (log: $logfile):"
	sed 's/^/    | /' "$logfile" | head -n 20 >&2
	return 1
}

# fio_engine_chroot SUITE OUTDIR - the engine against SUITE's fio, built in
# SUITE's chroot; writes OUTDIR/aioring-fio-<ver>.so and prints <ver>.
fio_engine_chroot() {
	local suite=$1 outdir=$2 root="$LAB_CACHE/chroots/$1" tree ver src logfile
	[ -e "$root.stamp" ] || { log "no $suite chroot (make check makes it)"; return 1; }
	tree=$(fio_locked fio_chroot_tree "$root") || return 1
	ver=$(fio_src_version "$root$tree")
	logfile="$outdir/engine-$ver.log"
	src=/build/aioring-fio-$(printf '%s' "$LAB_BUILD" | md5sum | cut -c1-8)
	rm -rf "$root$src"
	mkdir -p "$root$src"
	tar -C "$REPO_DIR" -cf - --exclude='*.o' --exclude='*.a' --exclude='*.so*' \
		--exclude=./fio/build fio lib uapi | tar -C "$root$src" -xf -
	rm -f "$outdir/aioring-fio-$ver.so"
	if ! run_logged "$logfile" in_chroot "$root" \
		make -C "$src/fio" FIO_SRC="$tree" ENGINE="aioring-fio-$ver.so"; then
		echo "$ver"
		return 1
	fi
	cp "$root$src/fio/aioring-fio-$ver.so" "$outdir/"
	echo "$ver"
	if grep -qi warning "$logfile"; then
		log "the fio engine build for $ver printed warnings (log: $logfile)"
		return 1
	fi
	rm -f "$root/tmp/aioring-fio-load.dat"
	if fio_engine_loads "$outdir/load-$ver.log" in_chroot "$root" "$tree/fio" \
		--ioengine="external:$src/fio/aioring-fio-$ver.so"; then
		echo loads
	fi
}

# fio_prepare - everything above; results recorded with check.sh's record.
fio_prepare() {
	local out="$LAB_BUILD/fio" tree ver res=""
	# shellcheck disable=SC2086 # a list of words
	apt_ensure $FIO_HOST_PACKAGES
	rm -rf "$out"
	mkdir -p "$out"
	if tree=$(fio_locked fio_host_tree); then
		ver=$(fio_src_version "$tree")
		cp "$tree/fio" "$out/fio"
		if fio_engine_host "$tree" "$out/aioring-fio.so"; then
			record userspace PASS "fio-engine-$ver"
			# into the fio the user has installed (Debian's)
			if fio_engine_loads "$out/load-$ver.log" fio \
				--ioengine="external:$out/aioring-fio.so"; then
				record userspace PASS "fio-engine-$ver-loads"
			else
				record userspace FAIL "fio-engine-$ver-loads"
			fi
		else
			record userspace FAIL "fio-engine-$ver"
		fi
	else
		record userspace FAIL fio-engine-host
	fi
	# Prints the version, then "loads" if the engine loaded into that fio.
	if res=$(fio_engine_chroot "$FIO_NEWER_SUITE" "$out"); then
		ver=$(head -n1 <<<"$res")
		record userspace PASS "fio-engine-$ver"
		if grep -qx loads <<<"$res"; then
			record userspace PASS "fio-engine-$ver-loads"
		else
			record userspace FAIL "fio-engine-$ver-loads"
		fi
	else
		record userspace FAIL "fio-engine-$(head -n1 <<<"${res:-$FIO_NEWER_SUITE}")"
	fi
}

# stage_fio ROOT - the engine and the example job files for the guest; the
# fio binary itself goes in with stage_tools (initramfs.sh), for its
# libraries.
stage_fio() {
	local root=$1
	[ -e "$LAB_BUILD/fio/aioring-fio.so" ] || return 0
	mkdir -p "$root/lab/fio"
	install -m 0644 "$LAB_BUILD/fio/aioring-fio.so" "$root/lab/fio/aioring-fio.so"
	cp "$REPO_DIR"/examples/*.fio "$root/lab/fio/" 2>/dev/null || true
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	. "$LAB_DIR/kernels.sh" # in_chroot
	record() { echo "$3: $2"; }
	mkdir -p "$LAB_CACHE/logs" "$LAB_BUILD"
	fio_prepare
fi
