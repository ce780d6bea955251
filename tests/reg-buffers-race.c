/* SPDX-License-Identifier: MIT */
/*
 * Description: REGISTER_BUFFERS reads the caller's iovec array once. As an
 * unprivileged user with RLIMIT_MEMLOCK at 1 MiB, a second thread flips
 * the iov_len of the last of 64 buffers between 4 KiB and 64 MiB while the
 * first registers, 10,000 times. Every registration that succeeds must
 * have pinned what was charged: the last buffer is 4 KiB (a READ_FIXED
 * one byte past 4 KiB gets -EFAULT) and VmPin stays within the limit.
 * Before the fix the array was read twice, once to charge and once to pin
 * (the 63 pins in between leave the flipper time), and registrations
 * pinned 64 MiB.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "t_async.h"

#define SMALL		4096UL
#define BIG		(64UL << 20)
#define LIMIT		(1UL << 20)
#define ROUNDS		10000
#define NBUF		64

static struct iovec iovs[NBUF];
static atomic_int stop;

/* Each length holds for a while, so that either read may see either. */
static void hold(void)
{
	for (volatile int i = 0; i < 2000; i++)
		;
}

static void *flipper(void *arg)
{
	volatile size_t *len = &iovs[NBUF - 1].iov_len;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		*len = BIG;
		hold();
		*len = SMALL;
		hold();
	}
	return NULL;
}

static char path[256];

static int child(void)
{
	struct rlimit rl = { LIMIT, LIMIT };
	unsigned ok = 0, enomem = 0, over = 0, i;
	struct aioring ring;
	struct aioring_sqe *sqe;
	struct aioring_cqe cqe;
	pthread_t th;
	char *buf;
	int fd;

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		t_fail("cannot set RLIMIT_MEMLOCK");
	t_become_user(T_USER_UID);
	fd = open(path, O_RDWR);
	if (fd < 0)
		t_fail("open %s: %s", path, t_errname(errno));
	buf = mmap(NULL, BIG + NBUF * SMALL, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (buf == MAP_FAILED)
		t_fail("mmap of 64 MiB");
	/* 63 small buffers after the 64 MiB; the last (flipped) one at 0. */
	for (i = 0; i < NBUF - 1; i++) {
		iovs[i].iov_base = buf + BIG + (size_t)i * SMALL;
		iovs[i].iov_len = SMALL;
	}
	iovs[NBUF - 1].iov_base = buf;
	iovs[NBUF - 1].iov_len = SMALL;
	t_ring_init(&ring, 4, 0);
	if (pthread_create(&th, NULL, flipper, NULL))
		t_fail("pthread_create");

	for (i = 0; i < ROUNDS; i++) {
		int ret = aioring_register_buffers(&ring, iovs, NBUF);
		long pin;

		if (ret == -ENOMEM) {
			enomem++;
			continue;
		}
		if (ret) {
			t_error("round %u: register: %s", i, t_errname(-ret));
			break;
		}
		ok++;
		pin = t_vmpin_kb();
		if (pin > (long)(LIMIT >> 10)) {
			t_error("round %u: VmPin %ld kB over the %lu kB limit",
				i, pin, LIMIT >> 10);
			over++;
		}
		/* One byte past 4 KiB: inside the buffer only if 64 MiB got pinned. */
		sqe = t_get_sqe(&ring);
		aioring_prep_read_fixed(sqe, fd, buf + SMALL, 1, 0, NBUF - 1);
		aioring_sqe_set_data64(sqe, i);
		t_submit(&ring, 1);
		t_reap(&ring, &cqe, 1);
		if (cqe.res != -EFAULT) {
			t_error("round %u: READ_FIXED past 4 KiB: %s (a 64 MiB buffer was pinned under a 1 MiB limit)",
				i, t_resname(cqe.res));
			over++;
		}
		T_RES(aioring_unregister_buffers(&ring), 0);
		if (over >= 5)
			break;
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	t_log("%u rounds: %u registered with 4 KiB, %u refused with 64 MiB (-ENOMEM), %u over the limit",
	      i, ok, enomem, over);
	if (!ok || !enomem)
		t_log("the flipping thread never lost or never won a race: rounds are still checked");
	aioring_queue_exit(&ring);
	close(fd);
	return over ? T_EXIT_FAIL : t_exit_status();
}

int main(void)
{
	pid_t pid;
	int fd;

	t_require_device();
	/* Made by root, given to the test user: /mnt/test is root's. */
	fd = t_create_file(2 * 4096, NULL, path, sizeof(path));
	if (fchown(fd, T_USER_UID, T_USER_UID))
		t_fail("chown: %s", t_errname(errno));
	close(fd);
	pid = fork();
	if (pid < 0)
		t_fail("fork");
	if (!pid)
		exit(child());
	t_expect_child_exit(pid, 0, "registration race as uid 1000");
	return t_exit_status();
}
