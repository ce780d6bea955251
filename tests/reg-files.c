/* SPDX-License-Identifier: MIT */
/*
 * Description: registered files: AIORING_SQE_FIXED_FILE I/O through the
 * table, -EBADF for an index out of range, an empty slot, or after
 * unregistering; slot updates; an aioring fd cannot be registered; bad
 * register arguments get specific errors.
 */
#include <fcntl.h>
#include <sys/ioctl.h>

#include "t_async.h"

static struct aioring_sqe *read_fixed_idx(struct aioring *ring, int idx,
					  void *buf, uint64_t ud)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);

	aioring_prep_read(sqe, idx, buf, 512, 0);
	sqe->flags |= AIORING_SQE_FIXED_FILE;
	aioring_sqe_set_data64(sqe, ud);
	return sqe;
}

int main(void)
{
	unsigned char data[4096], buf[512];
	struct aioring_register_args args;
	struct aioring ring, other;
	char path[256];
	int fd, fds[4];

	t_require_device();
	t_seed_random();
	fd = t_create_file(sizeof(data), data, path, sizeof(path));
	t_ring_init(&ring, 8, 0);
	T_CHECK(ring.features & AIORING_FEAT_REGISTER);

	/* Nothing registered yet: -EBADF, and unregister says ENXIO. */
	read_fixed_idx(&ring, 0, buf, 1);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, -EBADF);
	T_RES(aioring_unregister_files(&ring), -ENXIO);

	fds[0] = -1;
	fds[1] = fd;
	fds[2] = -1;
	fds[3] = fd;
	T_RES(aioring_register_files(&ring, fds, 4), 0);
	T_RES(aioring_register_files(&ring, fds, 4), -EBUSY);

	read_fixed_idx(&ring, 1, buf, 2);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, 512);
	t_check_buf(buf, data, 512, "fixed-file read");
	/* The table holds its own reference: closing our fd changes nothing. */
	close(fd);
	memset(buf, 0, sizeof(buf));
	read_fixed_idx(&ring, 3, buf, 3);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 3, 512);
	t_check_buf(buf, data, 512, "fixed-file read after close");

	read_fixed_idx(&ring, 0, buf, 4);	/* empty slot */
	read_fixed_idx(&ring, 4, buf, 5);	/* past the end */
	read_fixed_idx(&ring, -1, buf, 6);
	read_fixed_idx(&ring, 0x7fffffff, buf, 7);
	t_submit(&ring, 4);
	t_expect_cqe(&ring, 4, -EBADF);
	t_expect_cqe(&ring, 5, -EBADF);
	t_expect_cqe(&ring, 6, -EBADF);
	t_expect_cqe(&ring, 7, -EBADF);

	/* Update slot 0 to a file, slot 3 to empty. */
	fd = T_SYSOK(open(path, O_RDONLY));
	fds[0] = fd;
	T_RES(aioring_register_files_update(&ring, 0, fds, 1), 1);
	fds[0] = -1;
	T_RES(aioring_register_files_update(&ring, 3, fds, 1), 1);
	T_RES(aioring_register_files_update(&ring, 3, fds, 2), -EINVAL);
	T_RES(aioring_register_files_update(&ring, 4, fds, 1), -EINVAL);
	read_fixed_idx(&ring, 0, buf, 8);
	read_fixed_idx(&ring, 3, buf, 9);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 8, 512);
	t_expect_cqe(&ring, 9, -EBADF);

	/* Rings may not be registered, in themselves or in others. */
	t_ring_init(&other, 4, 0);
	fds[0] = other.ring_fd;
	T_RES(aioring_register_files_update(&ring, 0, fds, 1), -EBADF);
	fds[0] = ring.ring_fd;
	T_RES(aioring_register_files(&other, fds, 1), -EBADF);
	fds[0] = 99999;
	T_RES(aioring_register_files(&other, fds, 1), -EBADF);
	T_RES(aioring_register_files(&other, (int *)8, 1), -EFAULT);
	T_RES(aioring_register_files(&other, fds, 0), -EINVAL);
	T_RES(aioring_register_files(&other, fds, AIORING_MAX_REG_FILES + 1), -EINVAL);
	aioring_queue_exit(&other);

	/* Reserved fields and unknown opcodes. */
	memset(&args, 0, sizeof(args));
	args.opcode = 99;
	T_SYSERR(ioctl(ring.ring_fd, AIORING_IOC_REGISTER, &args), EINVAL);
	args.opcode = AIORING_UNREGISTER_FILES;
	args.resv[1] = 1;
	T_SYSERR(ioctl(ring.ring_fd, AIORING_IOC_REGISTER, &args), EINVAL);
	args.resv[1] = 0;
	args.offset = 1;
	T_SYSERR(ioctl(ring.ring_fd, AIORING_IOC_REGISTER, &args), EINVAL);
	T_SYSERR(ioctl(ring.ring_fd, AIORING_IOC_REGISTER, (void *)8), EFAULT);

	T_RES(aioring_unregister_files(&ring), 0);
	read_fixed_idx(&ring, 0, buf, 10);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 10, -EBADF);
	t_nop_roundtrip(&ring, 11);
	aioring_queue_exit(&ring);
	close(fd);
	return T_EXIT_PASS;
}
