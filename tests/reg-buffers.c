/* SPDX-License-Identifier: MIT */
/*
 * Description: registered buffers: READ_FIXED/WRITE_FIXED move the right
 * bytes (buffered and O_DIRECT), ranges outside the buffer or a bad
 * buf_index get -EFAULT, buf_index on other opcodes -EINVAL, and pinning
 * more than RLIMIT_MEMLOCK gets -ENOMEM (as an unprivileged user).
 */
#include <fcntl.h>
#include <sys/resource.h>

#include "t_async.h"

#define BS	4096
#define NBUF	4

static void io_fixed(struct aioring *ring, int op, int fd, void *addr,
		     unsigned len, uint64_t off, int idx, int expect)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);

	if (op == AIORING_OP_READ_FIXED)
		aioring_prep_read_fixed(sqe, fd, addr, len, off, idx);
	else
		aioring_prep_write_fixed(sqe, fd, addr, len, off, idx);
	aioring_sqe_set_data64(sqe, 77);
	t_submit(ring, 1);
	t_expect_cqe(ring, 77, expect);
}

static int memlock_child(void)
{
	struct rlimit rl = { 64 * 1024, 64 * 1024 };
	struct iovec iov;
	struct aioring ring;

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		t_fail("cannot lower RLIMIT_MEMLOCK");
	t_become_user(65534);
	t_ring_init(&ring, 4, 0);
	iov.iov_len = 1 << 20;
	iov.iov_base = t_aligned_alloc(BS, iov.iov_len);
	memset(iov.iov_base, 1, iov.iov_len);
	T_RES(aioring_register_buffers(&ring, &iov, 1), -ENOMEM);
	/* A small one fits, and is returned on unregister: twice works. */
	iov.iov_len = 8192;
	T_RES(aioring_register_buffers(&ring, &iov, 1), 0);
	T_RES(aioring_unregister_buffers(&ring), 0);
	T_RES(aioring_register_buffers(&ring, &iov, 1), 0);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}

int main(void)
{
	unsigned char *data, *bufs, *check;
	struct iovec iov[NBUF];
	struct aioring ring;
	char path[256];
	int fd, dfd, i;
	pid_t pid;

	t_require_device();
	t_seed_random();
	data = malloc(16 * BS);
	check = t_aligned_alloc(BS, BS);
	fd = t_create_file(16 * BS, data, path, sizeof(path));
	bufs = t_aligned_alloc(BS, NBUF * 2 * BS);
	for (i = 0; i < NBUF; i++) {
		iov[i].iov_base = bufs + (size_t)i * 2 * BS;
		iov[i].iov_len = 2 * BS;
	}
	t_ring_init(&ring, 8, 0);
	T_RES(aioring_unregister_buffers(&ring), -ENXIO);
	T_RES(aioring_register_buffers(&ring, iov, NBUF), 0);
	T_RES(aioring_register_buffers(&ring, iov, NBUF), -EBUSY);

	/* Buffered: read block 3 into buffer 2, at an offset inside it. */
	io_fixed(&ring, AIORING_OP_READ_FIXED, fd, bufs + 4 * BS + 100, 1000,
		 3 * BS, 2, 1000);
	t_check_buf(bufs + 4 * BS + 100, data + 3 * BS, 1000, "READ_FIXED");
	/* Write buffer 1 to block 5, read it back with pread. */
	t_fill_random(bufs + 2 * BS, 2 * BS);
	io_fixed(&ring, AIORING_OP_WRITE_FIXED, fd, bufs + 2 * BS, 2 * BS,
		 5 * BS, 1, 2 * BS);
	T_EQ(pread(fd, check, BS, 6 * BS), BS);
	t_check_buf(check, bufs + 3 * BS, BS, "WRITE_FIXED");

	/* O_DIRECT, when the file system allows it. */
	dfd = open(path, O_RDWR | O_DIRECT);
	if (dfd >= 0) {
		t_fill_random(bufs, 2 * BS);
		io_fixed(&ring, AIORING_OP_WRITE_FIXED, dfd, bufs, 2 * BS,
			 8 * BS, 0, 2 * BS);
		memset(bufs + 6 * BS, 0, 2 * BS);
		io_fixed(&ring, AIORING_OP_READ_FIXED, dfd, bufs + 6 * BS,
			 2 * BS, 8 * BS, 3, 2 * BS);
		t_check_buf(bufs + 6 * BS, bufs, 2 * BS, "O_DIRECT fixed");
		close(dfd);
	}

	/* Out of range: index, start, end, wrap. */
	io_fixed(&ring, AIORING_OP_READ_FIXED, fd, bufs, 512, 0, NBUF, -EFAULT);
	io_fixed(&ring, AIORING_OP_READ_FIXED, fd, bufs, 512, 0, 0xffff, -EFAULT);
	io_fixed(&ring, AIORING_OP_READ_FIXED, fd, bufs + 2 * BS - 1, 2, 0, 0,
		 -EFAULT);
	io_fixed(&ring, AIORING_OP_READ_FIXED, fd, bufs - 1, 2, 0, 0, -EFAULT);
	io_fixed(&ring, AIORING_OP_READ_FIXED, fd, (void *)~0UL, 2, 0, 0,
		 -EFAULT);
	/* buf_index is reserved for other opcodes. */
	{
		struct aioring_sqe *sqe = t_get_sqe(&ring);

		aioring_prep_read(sqe, fd, check, 512, 0);
		sqe->buf_index = 1;
		aioring_sqe_set_data64(sqe, 78);
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 78, -EINVAL);
	}
	/* Unregistered: -EFAULT, the ring goes on. */
	T_RES(aioring_unregister_buffers(&ring), 0);
	io_fixed(&ring, AIORING_OP_READ_FIXED, fd, bufs, 512, 0, 0, -EFAULT);
	T_RES(aioring_register_buffers(&ring, iov, 0), -EINVAL);
	iov[0].iov_len = 0;
	T_RES(aioring_register_buffers(&ring, iov, 1), -EFAULT);
	aioring_queue_exit(&ring);

	if (geteuid() == 0) {
		pid = fork();
		if (pid < 0)
			t_fail("fork");
		if (pid == 0)
			exit(memlock_child());
		t_expect_child_exit(pid, 0, "memlock child");
	}
	close(fd);
	return T_EXIT_PASS;
}
