#!/bin/bash
# lab/accel-test.sh - a test of the lab's accelerator choice (boot.sh's
# accel_decide) with stand-in QEMUs, run on the host by `make check` as
# lab-accel-choice.
#
# Each stand-in is a script that behaves like one kind of machine:
#   hang         KVM starts a vCPU but the guest never prints a thing
#   stall        the firmware and boot loader print, then nothing (the
#                machine of issue 13: "Probing EDD ... ok", then silence)
#   exit         QEMU refuses KVM at once
#   marker       the guest reaches /init, prints the marker, powers off
#   marker-hang  the guest prints the marker but never powers off
# and each must lead to the right choice, within the deadline.  A missing
# or unwritable /dev/kvm must choose TCG without starting QEMU at all.
# Exit 0 when every case chose right, 1 otherwise.

set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/boot.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
LAB_ACCEL_DEADLINE=4
failed=0

# stand_in NAME BODY - a fake qemu-system-x86_64 at $tmp/NAME.
stand_in() {
	printf '#!/bin/bash\necho "$*" >>"%s/%s.args"\necho $$ >"%s/%s.pid"\n%s\n' \
		"$tmp" "$1" "$tmp" "$1" "$2" >"$tmp/$1"
	chmod +x "$tmp/$1"
}
stand_in hang 'exec sleep 600'
stand_in stall 'echo "SeaBIOS (version 1.16.2-debian-1.16.2-1)"; echo "Booting from ROM..."; echo "Probing EDD (edd=off to disable)... ok"; exec sleep 600'
stand_in exit 'echo "qemu-system-x86_64: failed to initialize kvm: Permission denied" >&2; exit 1'
stand_in marker "echo 'Probing EDD (edd=off to disable)... ok'; echo '[    0.000000] Linux version 6.1.0'; echo $ACCEL_MARKER; exit 0"
stand_in marker-hang "echo $ACCEL_MARKER; exec sleep 600"

# expect NAME WANT DEV - run accel_decide with stand-in NAME and device DEV;
# it must print WANT first and finish within the deadline plus 3 s.
expect() {
	local name=$1 want=$2 dev=$3 t0 out took
	mkdir -p "$tmp/out-$name"
	t0=$(date +%s)
	out=$(QEMU="$tmp/$name" LAB_KVM_DEV=$dev \
		accel_decide /nonexistent/vmlinuz /nonexistent/initrd "$tmp/out-$name")
	took=$(( $(date +%s) - t0 ))
	if [ "${out%% *}" != "$want" ] || [ "$took" -gt $((LAB_ACCEL_DEADLINE + 3)) ]; then
		echo "accel-test: FAIL $name: chose '${out}' in ${took}s, want $want" >&2
		failed=1
	else
		echo "accel-test: ok $name -> $out (${took}s)" >&2
	fi
	if [ -e "$tmp/$name.pid" ] && kill -0 "$(cat "$tmp/$name.pid")" 2>/dev/null; then
		echo "accel-test: FAIL $name: the stand-in QEMU is still running" >&2
		kill -9 "$(cat "$tmp/$name.pid")"
		failed=1
	fi
	rm -f "$tmp/$name.pid"
}

dev="$tmp/kvm"
: >"$dev"
expect hang tcg "$dev"
expect stall tcg "$dev"
expect exit tcg "$dev"
expect marker kvm "$dev"
expect marker-hang kvm "$dev"

# No device, or one this user cannot open: TCG, and QEMU is never run.
expect marker tcg "$tmp/no-such-kvm"
if [ "$(id -u)" -ne 0 ]; then
	chmod 0 "$dev"
	expect marker tcg "$dev"
fi
[ "$(grep -c '' "$tmp/marker.args")" -eq 1 ] || {
	echo "accel-test: FAIL QEMU was started without a usable KVM device" >&2
	failed=1
}
# The stand-in saw what a real probe boot passes.
grep -q -- '-accel kvm' "$tmp/marker.args" || {
	echo "accel-test: FAIL the probe did not ask QEMU for KVM" >&2
	failed=1
}
exit "$failed"
