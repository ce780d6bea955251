#!/bin/bash
# lab/boot.sh - boot one test guest in QEMU and judge its console log.
#
# A guest is the Debian kernel of one series, the initramfs from
# lab/initramfs.sh and a fresh sparse ext4 disk image (formatted on the
# host, attached as virtio-blk, mounted by the guest at /mnt/test).  QEMU runs
# under `timeout` so a hung guest fails the run instead of hanging CI; its
# serial console goes to $LAB_BUILD/<kver>/console-<mode>.log.
#
# KVM is used when /dev/kvm exists and a short probe shows QEMU can start a
# vCPU with `-cpu host` (nested setups may refuse it, and other CPU models
# were seen to hang at boot there); otherwise TCG.
# LAB_KVM=0 or 1 forces the choice.
#
# scan_log lists kernel-log lines that fail a run: BUG, WARNING, lockdep,
# KASAN/UBSAN, refcount and list corruption, hung tasks, oopses, panics,
# slab caches destroyed with objects left (a leak seen at rmmod).
#
# Run directly: lab/boot.sh SERIES [check|demo] (needs the initramfs).

set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

QEMU=qemu-system-x86_64
LAB_MEM=${LAB_MEM:-1024}
LAB_SMP=${LAB_SMP:-2}
LAB_DISK_SIZE=${LAB_DISK_SIZE:-512M}
LAB_APPEND=${LAB_APPEND:-}
LAB_IDLE_TIMEOUT=${LAB_IDLE_TIMEOUT:-180}
LAB_CRASH_GRACE=${LAB_CRASH_GRACE:-90}

# Kernel log patterns that fail a run (grep -E).
# "kernel BUG at" (BUG_ON) and "invalid opcode: 0000 [#1]" have no "BUG:";
# " [#N] " marks every oops header.
CRASH_PATTERN='BUG:|kernel BUG at|Oops|invalid opcode:| \[#[0-9]+\] |general protection fault|Kernel panic'
SCAN_PATTERN="$CRASH_PATTERN"'|WARNING:|possible circular locking|possible recursive locking|KASAN|refcount_t:|list_add corruption|list_del corruption|blocked for more than|UBSAN|Objects remaining|still has objects'

# accel_args - print the QEMU acceleration arguments (probed once per run).
accel_args() {
	if [ -z "${_LAB_ACCEL+x}" ]; then
		_LAB_ACCEL="-accel tcg"
		# The probe machine sits stopped (-S) until timeout kills it
		# (status 124); a QEMU that cannot use KVM exits first.
		if [ "$LAB_KVM" != 0 ] && [ -w /dev/kvm ] &&
			[ "$(timeout 3 "$QEMU" -accel kvm -cpu host -m 64 -S \
				-display none -monitor none -serial none \
				-nodefaults >/dev/null 2>&1; echo $?)" = 124 ]; then
			_LAB_ACCEL="-accel kvm -cpu host"
		fi
		[ "$LAB_KVM" = 1 ] && [ "$_LAB_ACCEL" = "-accel tcg" ] &&
			die "LAB_KVM=1 but KVM does not work here"
		export _LAB_ACCEL
		log "QEMU acceleration: $_LAB_ACCEL"
	fi
	echo "$_LAB_ACCEL"
}

# make_disk FILE - sparse raw image with a fresh ext4 file system.
make_disk() {
	rm -f "$1"
	truncate -s "$LAB_DISK_SIZE" "$1"
	/sbin/mkfs.ext4 -q -F -L aioring-test "$1"
}

# run_guest SERIES MODE - boot, wait for power-off (or the timeout);
# returns QEMU's (or timeout's) exit status.
run_guest() {
	local series=$1 mode=${2:-check} out console rc=0 accel
	# shellcheck disable=SC1090
	. "$LAB_CACHE/kernels/$series.env"
	out="$LAB_BUILD/$KVER"
	console="$out/console-$mode.log"
	accel=$(accel_args)
	make_disk "$out/disk.img"
	log "booting $KVER ($mode, timeout ${LAB_TIMEOUT}s)"
	# timeout(1) makes itself a process group of its own, so a Ctrl-C at
	# the terminal would not reach QEMU: the traps stop it explicitly.
	# shellcheck disable=SC2086
	timeout --kill-after=10 "$LAB_TIMEOUT" "$QEMU" $accel \
		-m "$LAB_MEM" -smp "$LAB_SMP" -nographic -no-reboot \
		-kernel "$VMLINUZ" -initrd "$out/initrd-$mode.gz" \
		-drive "file=$out/disk.img,if=virtio,format=raw,cache=unsafe" \
		-append "console=ttyS0 ${LAB_QUIET-quiet} panic=-1 $LAB_APPEND" \
		</dev/null >"$console" 2>&1 &
	_LAB_GUEST_PID=$!
	trap 'kill "$_LAB_GUEST_PID" 2>/dev/null' EXIT
	trap 'kill "$_LAB_GUEST_PID" 2>/dev/null; exit 130' INT TERM
	if watch_guest "$_LAB_GUEST_PID" "$console"; then
		wait "$_LAB_GUEST_PID" || rc=$?
	else
		rc=125 # stopped by the watchdog
	fi
	trap - EXIT INT TERM
	log "guest $KVER exited ($rc) after $(grep -c '' "$console") console lines"
	return "$rc"
}

# watch_guest PID CONSOLE - wait for the guest to end; stop it early (and
# return 1) when it is wedged.  The guest's tests each run under a 120 s timeout and print as
# they go, so LAB_IDLE_TIMEOUT (180 s) of console silence means a hang.  After
# a kernel crash report (BUG, Oops, GPF, panic) the tests left are worthless
# and the crashed task often never exits, so the guest gets only
# LAB_CRASH_GRACE (90 s: time for a hung-task report and the dmesg dump).
watch_guest() {
	local pid=$1 console=$2 now idle crash_at=0 why=""
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		now=$(date +%s)
		if [ "$crash_at" -eq 0 ] &&
			grep -aqE "$CRASH_PATTERN" "$console"; then
			crash_at=$now
			log "guest reported a kernel crash; ${LAB_CRASH_GRACE}s until it is stopped"
		fi
		idle=$((now - $(stat -c %Y "$console")))
		if [ "$idle" -ge "$LAB_IDLE_TIMEOUT" ]; then
			why="after ${idle}s without console output"
		elif [ "$crash_at" -ne 0 ] && [ $((now - crash_at)) -ge "$LAB_CRASH_GRACE" ]; then
			why="$((now - crash_at))s after a kernel crash"
		else
			continue
		fi
		log "stopping the guest $why"
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		echo "AIORING-LAB: host stopped the guest $why" >>"$console"
		return 1
	done
}

# scan_log FILE - print the offending kernel-log lines; nonzero if any.
scan_log() {
	local hits
	hits=$(grep -aE "$SCAN_PATTERN" "$1" | tr -d '\r' | awk '!seen[$0]++' || true)
	[ -z "$hits" ] && return 0
	echo "$hits"
	return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	[ -n "${1:-}" ] || die "usage: $0 SERIES [check|demo]"
	rc=0
	run_guest "$1" "${2:-check}" || rc=$?
	. "$LAB_CACHE/kernels/$1.env"
	cat "$LAB_BUILD/$KVER/console-${2:-check}.log"
	exit "$rc"
fi
