/* SPDX-License-Identifier: MIT */
/*
 * Description: closing the ring, or killing its process, with requests in
 * every in-flight state (armed WAITQ callbacks, queued and running worker
 * items, serialised buffered writes, O_DIRECT in flight, fsync in a
 * worker) neither hangs nor leaks, repeated to catch races. The runner's
 * kernel log scan and the final rmmod catch what a race would leave.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "t_async.h"

#define BS		4096
#define NR_BLOCKS	512
#define ROUNDS		24

static char path[256];

/* Fill the ring with a mix of requests and leave them in flight. */
static void load(struct aioring *ring, unsigned char *bufs)
{
	int cold = T_SYSOK(open(path, O_RDONLY));
	int direct = open(path, O_RDWR | O_DIRECT);
	int wr = T_SYSOK(open(path, O_WRONLY));
	unsigned i;

	t_drop_cache(cold);
	for (i = 0; i < 32; i++) {
		struct aioring_sqe *sqe = aioring_get_sqe(ring);
		uint64_t off = t_rand_below(NR_BLOCKS) * BS;
		unsigned char *buf = bufs + (size_t)i * BS;

		if (!sqe)
			break;
		switch (i % 4) {
		case 0:
		case 1:
			aioring_prep_read(sqe, cold, buf, BS, off);
			break;
		case 2:
			if (direct >= 0)
				aioring_prep_read(sqe, direct, buf, BS, off);
			else
				aioring_prep_write(sqe, wr, buf, BS, off);
			break;
		default:
			if (i % 8 == 7)
				aioring_prep_fsync(sqe, wr, 0);
			else
				aioring_prep_write(sqe, wr, buf, BS, off);
			break;
		}
		aioring_sqe_set_data64(sqe, i);
	}
	if (aioring_submit(ring) < 0)
		t_fail("submit");
	/* The ring holds its own file references: closing ours is fine. */
	close(cold);
	if (direct >= 0)
		close(direct);
	close(wr);
}

static void child(unsigned flags, int how)
{
	unsigned char *bufs = t_aligned_alloc(BS, 32 * BS);
	struct aioring ring;

	t_ring_mode(&ring, 32, flags);
	load(&ring, bufs);
	switch (how) {
	case 0:		/* close with everything in flight */
		aioring_queue_exit(&ring);
		exit(0);
	case 1:		/* exit without closing */
		exit(0);
	default:	/* wait to be killed */
		for (;;)
			pause();
	}
}

int main(void)
{
	unsigned char *bufs = t_aligned_alloc(BS, 32 * BS);
	unsigned round;
	int fd;

	t_require_device();
	t_seed_random();
	fd = t_create_file((size_t)NR_BLOCKS * BS, NULL, path, sizeof(path));
	close(fd);

	for (round = 0; round < ROUNDS; round++) {
		unsigned flags = round & 1 ? AIORING_SETUP_SQWQ : 0;
		int how = (round / 2) % 3;
		pid_t pid = fork();

		if (pid < 0)
			t_fail("fork");
		if (pid == 0)
			child(flags, how);
		if (how == 2) {
			t_sleep_ms(t_rand_below(20));
			kill(pid, SIGKILL);
			t_expect_child_signal(pid, SIGKILL, "killed mid-I/O");
		} else {
			t_expect_child_exit(pid, 0, "exited mid-I/O");
		}
	}

	/* In-process: close a loaded ring, then the process goes on. */
	for (round = 0; round < ROUNDS / 2; round++) {
		struct aioring ring;

		t_ring_mode(&ring, 32, round & 1 ? AIORING_SETUP_SQWQ : 0);
		load(&ring, bufs);
		aioring_queue_exit(&ring);
	}
	{
		struct aioring ring;

		t_ring_mode(&ring, 4, 0);
		t_nop_roundtrip(&ring, 7);
		aioring_queue_exit(&ring);
	}
	return T_EXIT_PASS;
}
