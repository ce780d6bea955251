/* SPDX-License-Identifier: MIT */
/*
 * Description: a 32-bit program's iovecs are struct compat_iovec wherever
 * the kernel reads them. Built with -m32, statically: READV and WRITEV
 * with three vectors of odd sizes inline, the same through the SQ thread
 * (a kernel thread, where in_compat_syscall() is false: before the fix it
 * read the array as 64-bit iovecs), and REGISTER_BUFFERS with two buffers
 * then READ_FIXED into the second (before the fix the array was read as
 * 64-bit iovecs there too). Every byte is checked.
 */
#include <fcntl.h>
#include <sys/uio.h>

#include "../t_async.h"

#define FSIZE	(64 * 1024)

static const size_t lens[3] = { 100, 4096 + 7, 9000 };

static void vec_io(struct aioring *ring, int fd, int fixed, int op,
		   struct iovec *iov, uint64_t off, const char *what)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);
	struct aioring_cqe cqe;
	int want = (int)(lens[0] + lens[1] + lens[2]);

	if (op == AIORING_OP_READV)
		aioring_prep_readv(sqe, fd, iov, 3, off);
	else
		aioring_prep_writev(sqe, fd, iov, 3, off);
	if (fixed)
		sqe->flags |= AIORING_SQE_FIXED_FILE;
	aioring_sqe_set_data64(sqe, 5);
	t_submit(ring, 1);
	t_reap(ring, &cqe, 1);
	if (cqe.res != want)
		t_fail("%s: expected %d, got %s", what, want,
		       t_resname(cqe.res));
}

static void both(struct aioring *ring, int fd, int fixed, int rfd,
		 unsigned char *data, const char *what)
{
	unsigned char *b[3], *check;
	struct iovec iov[3];
	size_t at = 0, total = lens[0] + lens[1] + lens[2];
	unsigned i;
	char msg[64];

	for (i = 0; i < 3; i++) {
		b[i] = malloc(lens[i]);
		memset(b[i], 0, lens[i]);
		iov[i].iov_base = b[i];
		iov[i].iov_len = lens[i];
	}
	snprintf(msg, sizeof(msg), "%s READV", what);
	vec_io(ring, fixed ? 0 : fd, fixed, AIORING_OP_READV, iov, 333, msg);
	for (i = 0; i < 3; i++) {
		t_check_buf(b[i], data + 333 + at, lens[i], msg);
		at += lens[i];
	}
	for (i = 0; i < 3; i++)
		t_fill_random(b[i], lens[i]);
	snprintf(msg, sizeof(msg), "%s WRITEV", what);
	vec_io(ring, fixed ? 0 : fd, fixed, AIORING_OP_WRITEV, iov, 20000, msg);
	check = malloc(total);
	T_EQ(pread(rfd, check, total, 20000), (ssize_t)total);
	for (at = 0, i = 0; i < 3; i++) {
		t_check_buf(check + at, b[i], lens[i], msg);
		memcpy(data + 20000 + at, b[i], lens[i]);
		at += lens[i];
	}
	for (i = 0; i < 3; i++)
		free(b[i]);
	free(check);
}

int main(void)
{
	struct aioring_params p;
	struct aioring_cqe cqe;
	struct aioring_sqe *sqe;
	struct aioring ring;
	unsigned char *data, *bufs;
	struct iovec reg[2];
	char path[256];
	int fd, ret;

	if (sizeof(void *) != 4)
		t_fail("built as a %zu-bit program, not 32-bit", sizeof(void *) * 8);
	t_require_device();
	t_seed_random();
	data = malloc(FSIZE);
	fd = t_create_file(FSIZE, data, path, sizeof(path));

	t_ring_init(&ring, 4, 0);
	both(&ring, fd, 0, fd, data, "inline");

	/* REGISTER_BUFFERS reads the array in this 32-bit ioctl. */
	bufs = t_aligned_alloc(4096, 3 * 4096);
	reg[0].iov_base = bufs;
	reg[0].iov_len = 4096;
	reg[1].iov_base = bufs + 4096;
	reg[1].iov_len = 2 * 4096;
	ret = aioring_register_buffers(&ring, reg, 2);
	if (ret)
		t_fail("REGISTER_BUFFERS of two compat iovecs: %s", t_resname(ret));
	sqe = t_get_sqe(&ring);
	aioring_prep_read_fixed(sqe, fd, bufs + 4096 + 10, 8000, 1000, 1);
	aioring_sqe_set_data64(sqe, 6);
	t_submit(&ring, 1);
	t_reap(&ring, &cqe, 1);
	if (cqe.res != 8000)
		t_fail("READ_FIXED into buffer 1: %s", t_resname(cqe.res));
	t_check_buf(bufs + 4096 + 10, data + 1000, 8000, "READ_FIXED");
	aioring_queue_exit(&ring);

	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_SQTHREAD;
	p.sq_thread_idle = 1000;
	ret = aioring_queue_init_params(4, &ring, &p);
	if (ret)
		t_fail("SQTHREAD setup: %s", t_resname(ret));
	T_RES(aioring_register_files(&ring, &fd, 1), 0);
	both(&ring, fd, 1, fd, data, "SQ thread");
	aioring_queue_exit(&ring);
	close(fd);
	return t_exit_status();
}
