#!/bin/sh
# guest-devices.sh - sourced by the test guest's /init before the suite:
# block devices that behave like real ones, for the tests whose point is
# what happens while I/O is in flight.
#
# Under emulation a virtio-blk request can complete before the submitter
# looks again, so "this read had to wait" cannot be relied on there.
# null_blk with irqmode=2 completes every request from a timer after
# completion_nsec, like a device with a fixed latency. So:
#   nullb0  ext4, AIORING_TEST_DIR_SLOW      (0.2 ms latency, memory-backed)
#   nullb1  xfs,  AIORING_TEST_DIR_SLOW_XFS  (same)
#   nullb2  raw,  AIORING_TEST_POLL_DEV      (poll queues, memory-backed)
#   nullb3  ext4, AIORING_TEST_DIR_SLOWER    (10 ms latency, memory-backed)
#   nullb4  ext4, AIORING_TEST_DIR_POLL      (poll queues, 512-byte sectors)
#   nullb5  raw,  AIORING_TEST_SHALLOW_DEV   (one tag, 1 ms latency)
# A device or file system that cannot be made is reported and its
# variable left unset; the tests that need it then skip, saying why.
#
# Every memory-backed device has 512-byte sectors. null_blk copies a
# segment in pieces of its block size from the segment's first sector
# (copy_to_nullb()/copy_from_nullb() on every supported kernel), and
# O_DIRECT needs only 512-byte alignment of the user's buffer: on a
# 4096-byte device a segment that starts 512 bytes into a page overruns
# null_blk's page by up to 3.5 KiB. tests/fuzz found it (KASAN: a
# use-after-free write in copy_to_nullb() from a plain O_DIRECT write
# through ext4); with 512-byte pieces no copy can cross a page.

L=/lab
devsay() { echo "AIORING-LAB: $*"; }

while read -r m; do
	[ -n "$m" ] || continue
	case "$m" in
	null_blk) insmod "$L/modules/$m.ko" nr_devices=0 ;;
	*) insmod "$L/modules/$m.ko" ;;
	esac || devsay "insmod $m failed"
done <$L/modules/order
mount -t configfs configfs /sys/kernel/config 2>/dev/null

# mknullb NAME ATTR=VALUE... - a null_blk device through configfs
mknullb() {
	d=/sys/kernel/config/nullb/$1
	shift
	mkdir "$d" 2>/dev/null || return 1
	for kv in "$@"; do
		echo "${kv#*=}" >"$d/${kv%%=*}" 2>/dev/null ||
			devsay "$d: no ${kv%%=*} on this kernel"
	done
	echo 1 >"$d/power" || return 1
	i=0
	while [ ! -b "/dev/$(basename "$d")" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -b "/dev/$(basename "$d")" ]
}

# ext4_nullb NAME MOUNTPOINT SIZE_MB ATTR=VALUE... - ext4 on a new null_blk.
ext4_nullb() {
	n=$1 mnt=$2 size=$3
	shift 3
	mknullb "$n" size="$size" "$@" &&
		LD_LIBRARY_PATH=$L/lib $L/sbin/mke2fs -q -F -t ext4 -b 4096 \
			-E lazy_itable_init=0,lazy_journal_init=0 "/dev/$n" &&
		mkdir -p "$mnt" && mount -t ext4 -o noatime "/dev/$n" "$mnt"
}

SLOW="queue_mode=2 irqmode=2 completion_nsec=200000 memory_backed=1 blocksize=512 hw_queue_depth=64"
if ext4_nullb nullb0 /mnt/slow 256 $SLOW; then
	export AIORING_TEST_DIR_SLOW=/mnt/slow
	devsay "ext4 on nullb0 (0.2 ms) at /mnt/slow"
else
	devsay "no ext4 on a latency device"
fi
if mknullb nullb1 size=320 $SLOW &&
	LD_LIBRARY_PATH=$L/lib $L/sbin/mkfs.xfs -q -f /dev/nullb1 &&
	mkdir -p /mnt/slowxfs && mount -t xfs -o noatime /dev/nullb1 /mnt/slowxfs; then
	export AIORING_TEST_DIR_SLOW_XFS=/mnt/slowxfs
	devsay "xfs on nullb1 (0.2 ms) at /mnt/slowxfs"
else
	devsay "no xfs on a latency device"
fi
if mknullb nullb2 size=64 queue_mode=2 irqmode=0 memory_backed=1 \
	blocksize=512 poll_queues=1; then
	# Back every page now, through the normal path: null_blk allocates a
	# memory-backed page on first write, and from its poll handler that
	# would sleep under iocb_bio_iopoll()'s rcu_read_lock (its bug, which
	# io_uring would hit too; a debug kernel reports it).
	dd if=/dev/zero of=/dev/nullb2 bs=1M count=64 conv=fsync 2>/dev/null ||
		devsay "cannot fill /dev/nullb2"
	export AIORING_TEST_POLL_DEV=/dev/nullb2
	devsay "polled raw device /dev/nullb2"
else
	devsay "no null_blk device for polled I/O"
fi
# A device with 10 ms of latency, for reads that must still be in flight
# when the submitter looks again (tests/owned-isolation). Made last: 5.10
# names a configfs null_blk by its index, not by its directory.
SLOWER="queue_mode=2 irqmode=2 completion_nsec=10000000 memory_backed=1 blocksize=512 hw_queue_depth=64"
if ext4_nullb nullb3 /mnt/slower 64 $SLOWER; then
	export AIORING_TEST_DIR_SLOWER=/mnt/slower
	devsay "ext4 on nullb3 (10 ms) at /mnt/slower"
else
	devsay "no ext4 on a 10 ms device"
fi
# ext4 on a device with poll queues and 512-byte sectors, for polled
# O_DIRECT through a file system (tests/iopoll-unaligned). Filled first for
# the reason given for nullb2.
if mknullb nullb4 size=32 queue_mode=2 irqmode=0 memory_backed=1 \
	blocksize=512 poll_queues=1 &&
	dd if=/dev/zero of=/dev/nullb4 bs=1M count=32 conv=fsync 2>/dev/null &&
	LD_LIBRARY_PATH=$L/lib $L/sbin/mke2fs -q -F -t ext4 -b 4096 \
		-E lazy_itable_init=0,lazy_journal_init=0 /dev/nullb4 &&
	mkdir -p /mnt/polled && mount -t ext4 -o noatime /dev/nullb4 /mnt/polled; then
	export AIORING_TEST_DIR_POLL=/mnt/polled
	devsay "ext4 on polled nullb4 at /mnt/polled"
else
	devsay "no ext4 on a polled device"
fi
# A device with one tag and 1 ms of latency: REQ_NOWAIT bios beyond the
# first come back -EAGAIN from the block layer (tests/rw-reissue).
if mknullb nullb5 size=16 queue_mode=2 irqmode=2 completion_nsec=1000000 \
	memory_backed=1 blocksize=512 hw_queue_depth=1 submit_queues=1 &&
	dd if=/dev/zero of=/dev/nullb5 bs=1M count=16 conv=fsync 2>/dev/null; then
	export AIORING_TEST_SHALLOW_DEV=/dev/nullb5
	devsay "one-tag raw device /dev/nullb5"
else
	devsay "no one-tag null_blk device"
fi
