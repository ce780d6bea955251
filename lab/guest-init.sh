#!/bin/sh
# lab/guest-init.sh - /init of the lab's test guests (busybox sh).
#
# Copied into every initramfs as /init by lab/initramfs.sh, next to /lab.env
# which says what to do (LAB_MODE=check runs the test suite, LAB_MODE=demo
# runs the ring-cat example) and /lib/lab-modules/order, the kernel modules
# needed for the virtio disk and its file systems in load order.
#
# It mounts the pseudo file systems, loads those modules, mounts the ext4
# test disk (/dev/vda) at /mnt/test, loads aioring (modprobe), runs the tests (or the
# demo), dumps the whole kernel log between AIORING-DMESG-BEGIN/END markers
# for the host to scan, and powers off.  The host (lab/boot.sh) reads only
# the serial console: every result must be printed there.

export PATH=/sbin:/bin:/usr/sbin:/usr/bin
export HOME=/root

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null

. /lab.env

say() { echo "AIORING-LAB: $*"; }

# A task blocked in the module must show up quickly, and a WARN must be
# reported (and scanned for by the host) rather than kill the guest.
[ -w /proc/sys/kernel/hung_task_timeout_secs ] &&
	echo 10 >/proc/sys/kernel/hung_task_timeout_secs
[ -w /proc/sys/kernel/panic_on_warn ] && echo 0 >/proc/sys/kernel/panic_on_warn

say "kernel $(uname -r), mode $LAB_MODE"
# The kernel booted without `quiet` so that the host sees it start
# (lab/boot.sh); from here on the console shows warnings and worse only,
# and the whole log is dumped at the end.
dmesg -n 5

# Seed the kernel's random number generator now, while nothing else runs.
# When the crng becomes ready the kernel flips a static key, patching live
# code with int3 (text_poke_bp); under TCG a vCPU inside urandom_read_iter
# at that moment took an int3 Oops once (6.12, a test reading /dev/urandom).
# /dev/random blocks until the crng is ready, which the kernel's jitter
# entropy makes happen within seconds.
if timeout 60 head -c 1 /dev/random >/dev/null 2>&1; then
	say "crng ready"
else
	say "crng not ready after 60 s"
fi

# Disk and file system modules, dependencies first.
while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lib/lab-modules/$m.ko" || say "insmod $m failed"
done </lib/lab-modules/order

# virtio-blk probes on insmod; give the device node a moment anyway.
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
mkdir -p /mnt/test
mount -t ext4 /dev/vda /mnt/test || say "cannot mount /dev/vda on /mnt/test"
if [ -b /dev/vdb ]; then
	mkdir -p /mnt/scratch
	mount -t ext4 /dev/vdb /mnt/scratch || say "cannot mount /dev/vdb on /mnt/scratch"
fi

# The module under test, where DKMS installed it (updates/dkms): loaded as
# on a real machine, by name, after depmod.  Its loading is a test of its
# own, and modprobe must have taken the DKMS file.
if depmod && modprobe aioring &&
	grep -q 'updates/dkms/aioring.ko' "/lib/modules/$(uname -r)/modules.dep"; then
	echo "AIORING-TEST: PASS lab-modprobe"
else
	echo "AIORING-TEST: FAIL lab-modprobe"
fi
i=0
while [ ! -c /dev/aioring ] && [ $i -lt 20 ]; do
	sleep 0.1
	i=$((i + 1))
done
# As packaging's udev rule makes it: root:aioring 0660. The tests that
# attack the module run as uid 1000, a member of that group (T_USER_UID,
# T_DEVICE_GID in tests/t_helpers.h), not as root.
chgrp aioring /dev/aioring 2>/dev/null && chmod 0660 /dev/aioring ||
	say "no /dev/aioring"
# A page nobody serves (tests/owned-*) needs an unprivileged userfaultfd.
[ -w /proc/sys/vm/unprivileged_userfaultfd ] &&
	echo 1 >/proc/sys/vm/unprivileged_userfaultfd

export AIORING_TEST_DIR=/mnt/test
cd /tmp || cd /

case "$LAB_MODE" in
bench) # lab/bench.sh: the benchmark (bench/run-bench.sh)
	/bench/run-bench.sh
	;;
demo)
	for n in 1 2 3 4 5; do
		echo "line $n: hello from $(uname -r), read through /dev/aioring"
	done >/mnt/test/demo.txt
	sync
	echo "AIORING-DEMO-BEGIN"
	/examples/ring-cat /mnt/test/demo.txt
	echo "AIORING-DEMO-END status=$?"
	;;
*)
	# null_blk file systems and devices for the in-flight tests
	[ ! -r /lab/devices.sh ] || . /lab/devices.sh
	if [ -x /tests/run-tests.sh ]; then
		/tests/run-tests.sh /tests
	else
		say "no /tests/run-tests.sh in the initramfs"
	fi
	;;
esac

echo "AIORING-DMESG-BEGIN"
dmesg
echo "AIORING-DMESG-END"

sync
umount /mnt/slow /mnt/slowxfs 2>/dev/null
umount /mnt/scratch 2>/dev/null
umount /mnt/test 2>/dev/null
say "powering off"
poweroff -f
