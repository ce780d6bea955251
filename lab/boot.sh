#!/bin/bash
# lab/boot.sh - boot one test guest in QEMU and judge its console log.
#
# A guest is the Debian kernel of one series, the initramfs from
# lab/initramfs.sh and a fresh sparse ext4 disk image (formatted on the
# host, attached as virtio-blk, mounted by the guest at /mnt/test).  QEMU runs
# under `timeout` so a hung guest fails the run instead of hanging CI; its
# serial console goes to $LAB_BUILD/<kver>/console-<mode>.log.
#
# The accelerator is chosen once per run by booting (accel_choose): the
# first kernel of the run boots under KVM with a minimal initramfs whose
# /init prints a marker and powers off; if the marker does not come within
# LAB_ACCEL_DEADLINE (30 s), the whole run uses TCG.  Some machines have a
# /dev/kvm on which QEMU starts a vCPU but no guest kernel ever gets past
# the boot loader, so only a boot tells.  LAB_KVM=0 or 1 forces the choice.
#
# Guests boot without `quiet`, so a kernel that starts prints its banner;
# /init lowers the console log level once it runs.  A guest that has not
# reached /init within LAB_BOOT_DEADLINE is stopped early (check.sh then
# boots it once more only if its kernel printed anything).
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
LAB_ACCEL_DEADLINE=${LAB_ACCEL_DEADLINE:-30}
LAB_KVM_DEV=${LAB_KVM_DEV:-/dev/kvm}
# The marker the accelerator probe's /init prints, and the one every lab
# guest's /init prints first (guest-init.sh's say "kernel ...").
ACCEL_MARKER=AIORING-ACCEL-PROBE-INIT
INIT_MARKER='AIORING-LAB: kernel'

# Kernel log patterns that fail a run (grep -E).
# "kernel BUG at" (BUG_ON) and "invalid opcode: 0000 [#1]" have no "BUG:";
# " [#N] " marks every oops header.
CRASH_PATTERN='BUG:|kernel BUG at|Oops|invalid opcode:| \[#[0-9]+\] |general protection fault|Kernel panic'
SCAN_PATTERN="$CRASH_PATTERN"'|WARNING:|possible circular locking|possible recursive locking|KASAN|refcount_t:|list_add corruption|list_del corruption|blocked for more than|UBSAN|Objects remaining|still has objects'

# accel_probe_initrd DIR - a minimal initramfs whose /init prints
# $ACCEL_MARKER and powers off: busybox alone.  Prints its path.
accel_probe_initrd() {
	local dir=$1 root
	root="$dir/root"
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/dev" "$root/proc"
	cp /bin/busybox "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	printf '#!/bin/sh\n/bin/busybox echo %s\n/bin/busybox poweroff -f\n' \
		"$ACCEL_MARKER" >"$root/init"
	chmod 0755 "$root/init"
	(cd "$root" && find . -print | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
		gzip -1 >"$dir/initrd.gz"
	echo "$dir/initrd.gz"
}

# console_last_line FILE - its last line with text, without terminal
# control sequences (SeaBIOS clears the screen), at most 100 characters.
console_last_line() {
	tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[A-Za-z]//g' |
		grep -av '^[[:space:]]*$' | tail -n1 | cut -c1-100
}

# accel_decide VMLINUZ INITRD DIR - boot VMLINUZ under KVM with INITRD for at
# most LAB_ACCEL_DEADLINE seconds (console in DIR/console.log).  Prints
# "kvm REASON" when the marker came, "tcg REASON" otherwise.  Uses $QEMU, so
# a test can put a stand-in there (lab/accel-test.sh).
accel_decide() {
	local vmlinuz=$1 initrd=$2 dir=$3 console pid t0 now last rc
	console="$dir/console.log"
	if [ ! -e "$LAB_KVM_DEV" ]; then
		echo "tcg there is no $LAB_KVM_DEV"
		return 0
	fi
	if [ ! -w "$LAB_KVM_DEV" ] || [ ! -r "$LAB_KVM_DEV" ]; then
		echo "tcg $LAB_KVM_DEV is not readable and writable by uid $(id -u)"
		return 0
	fi
	: >"$console"
	t0=$(date +%s)
	"$QEMU" -accel kvm -cpu host -m 256 -smp 1 -nographic -no-reboot \
		-kernel "$vmlinuz" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1" </dev/null >"$console" 2>&1 &
	pid=$!
	while :; do
		if grep -aq "$ACCEL_MARKER" "$console"; then
			kill "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			echo "kvm a KVM guest reached /init in $(( $(date +%s) - t0 ))s"
			return 0
		fi
		now=$(date +%s)
		if ! kill -0 "$pid" 2>/dev/null; then
			rc=0
			wait "$pid" 2>/dev/null || rc=$?
			grep -aq "$ACCEL_MARKER" "$console" && continue
			last=$(console_last_line "$console")
			echo "tcg QEMU with KVM exited ($rc) after $((now - t0))s without reaching /init${last:+ (last output: '$last')}"
			return 0
		fi
		if [ $((now - t0)) -ge "$LAB_ACCEL_DEADLINE" ]; then
			kill -9 "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			last=$(console_last_line "$console")
			echo "tcg $LAB_KVM_DEV is present, but a KVM guest did not reach /init within ${LAB_ACCEL_DEADLINE}s${last:+ (it stopped after '$last')}"
			return 0
		fi
		sleep 0.5
	done
}

# accel_choose SERIES - decide the accelerator for this run, once, by
# booting SERIES (the run's first kernel) under KVM; say on one line which
# was chosen and why.  Exports _LAB_ACCEL for the run's guests.
accel_choose() {
	local series=$1 dir verdict why
	[ -z "${_LAB_ACCEL+x}" ] || return 0
	case "$LAB_KVM" in
	0) verdict="tcg LAB_KVM=0" ;;
	1) verdict="kvm LAB_KVM=1" ;;
	*)
		# shellcheck disable=SC1090
		. "$LAB_CACHE/kernels/$series.env"
		dir="$LAB_BUILD/accel-probe"
		mkdir -p "$dir"
		verdict=$(accel_decide "$VMLINUZ" "$(accel_probe_initrd "$dir")" "$dir")
		verdict="${verdict%% *} ${verdict#* } (probe: $KVER, console $dir/console.log)"
		;;
	esac
	why=${verdict#* }
	case "$verdict" in
	kvm*) _LAB_ACCEL="-accel kvm -cpu host" ;;
	*) _LAB_ACCEL="-accel tcg" ;;
	esac
	export _LAB_ACCEL
	log "QEMU acceleration: ${_LAB_ACCEL#-accel }, because $why"
}

# accel_args - print the QEMU acceleration arguments (accel_choose must
# have run in the calling shell).
accel_args() {
	[ -n "${_LAB_ACCEL+x}" ] || die "accel_args before accel_choose"
	echo "$_LAB_ACCEL"
}

# accel_is_kvm - true when this run's guests use KVM.
accel_is_kvm() {
	case "$(accel_args)" in *kvm*) return 0 ;; esac
	return 1
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
		-append "console=ttyS0 panic=-1 $LAB_APPEND" \
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
	local pid=$1 console=$2 now idle crash_at=0 why="" t0 booted=0 deadline
	t0=$(date +%s)
	deadline=${LAB_BOOT_DEADLINE:-$(accel_is_kvm && echo 30 || echo 90)}
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		now=$(date +%s)
		if [ "$booted" -eq 0 ]; then
			if grep -aqF "$INIT_MARKER" "$console"; then
				booted=1
			elif [ $((now - t0)) -ge "$deadline" ]; then
				why="after ${deadline}s without reaching /init"
			fi
		fi
		if [ "$crash_at" -eq 0 ] &&
			grep -aqE "$CRASH_PATTERN" "$console"; then
			crash_at=$now
			log "guest reported a kernel crash; ${LAB_CRASH_GRACE}s until it is stopped"
		fi
		idle=$((now - $(stat -c %Y "$console")))
		if [ -n "$why" ]; then
			:
		elif [ "$idle" -ge "$LAB_IDLE_TIMEOUT" ]; then
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

# reached_init CONSOLE - the guest's /init ran.
reached_init() {
	grep -aqF "$INIT_MARKER" "$1"
}

# kernel_printed CONSOLE - the guest's kernel printed anything of its own
# (its banner or a timestamped line), not only firmware and boot loader text.
kernel_printed() {
	tr -d '\r' <"$1" | grep -aE '^\[ *[0-9]+\.[0-9]+\]|Linux version [0-9]' >/dev/null
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
