/* SPDX-License-Identifier: MIT */
/*
 * Description: SQEs on the wrong kind of file or memory complete with the
 * exact -errno in their CQE, cases sqe-bad-input does not cover: READ of
 * a directory, of the ring's own fd or of 4 bytes of an eventfd -EINVAL;
 * an O_PATH fd, the wrong end of a pipe, WRITE to a directory or a fixed
 * request on a file open in the other mode -EBADF; READ into a read-only
 * or PROT_NONE page, WRITE from PROT_NONE, a READV iovec array that runs
 * into an unmapped page -EFAULT; FSYNC on a socket or with buf_index
 * -EINVAL; READ or WRITE of a signalfd -EOPNOTSUPP; HIPRI and unknown rw_flags on the fixed opcodes; a fixed file
 * index out of range on READ_FIXED, FSYNC and with SQE_ASYNC -EBADF.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "t_helpers.h"

static struct aioring ring;
static unsigned nr_cases;

static void expect(const char *what, const struct aioring_sqe *tmpl, int res)
{
	struct aioring_sqe *sqe = t_get_sqe(&ring);
	struct aioring_cqe cqe;

	*sqe = *tmpl;
	sqe->user_data = 0xbad;
	t_submit(&ring, 1);
	t_reap(&ring, &cqe, 1);
	T_EQ(cqe.user_data, 0xbad);
	if (cqe.res != res)
		t_error("%s: expected %s, got %s", what, t_resname(res),
			t_resname(cqe.res));
	nr_cases++;
}

static struct aioring_sqe rw(int op, int fd, const void *addr, unsigned len)
{
	struct aioring_sqe s;

	memset(&s, 0, sizeof(s));
	s.opcode = (__u8)op;
	s.fd = fd;
	s.addr = (__u64)(uintptr_t)addr;
	s.len = len;
	return s;
}

int main(void)
{
	unsigned char *pages, *buf;
	struct aioring_sqe s;
	struct iovec *iov;
	char path[256];
	int file, rdonly, wronly, dir, opath, efd, sfd, sv[2], pfd[2];
	sigset_t mask;

	t_require_device();
	file = t_create_file(8192, NULL, path, sizeof(path));
	rdonly = T_SYSOK(open(path, O_RDONLY | O_CLOEXEC));
	wronly = T_SYSOK(open(path, O_WRONLY | O_CLOEXEC));
	opath = T_SYSOK(open(path, O_PATH | O_CLOEXEC));
	dir = T_SYSOK(open(t_test_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	efd = T_SYSOK(eventfd(1, EFD_CLOEXEC));
	T_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	T_SYSOK(pipe2(pfd, O_CLOEXEC));
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sfd = T_SYSOK(signalfd(-1, &mask, SFD_CLOEXEC));
	/* Before the pages, so that no ring mapping lands in their hole. */
	t_ring_init(&ring, 8, 0);
	/*
	 * Page 0 read-write, 1 read-only, 2 PROT_NONE, 3 read-write, 4
	 * unmapped. An iovec at the end of pages 1 and 3 has its successor in
	 * the page after; one at the start of page 1 points at NULL.
	 */
	buf = t_aligned_alloc(4096, 8192);
	pages = mmap(NULL, 5 * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		t_fail("mmap: %s", t_errname(errno));
	memset(pages, 0, 5 * 4096);
	iov = (struct iovec *)(pages + 2 * 4096) - 1;
	iov->iov_base = buf;
	iov->iov_len = 512;
	iov = (struct iovec *)(pages + 4 * 4096) - 1;
	iov->iov_base = buf;
	iov->iov_len = 512;
	iov = (struct iovec *)(pages + 4096);
	iov->iov_base = NULL;
	iov->iov_len = 512;
	T_SYSOK(mprotect(pages + 4096, 4096, PROT_READ));
	T_SYSOK(mprotect(pages + 2 * 4096, 4096, PROT_NONE));
	T_SYSOK(munmap(pages + 4 * 4096, 4096));

	/* Files that cannot do it */
	s = rw(AIORING_OP_READ, dir, buf, 512);
	expect("READ of a directory", &s, -EINVAL);
	s = rw(AIORING_OP_WRITE, dir, buf, 512);
	expect("WRITE to a directory", &s, -EBADF);
	s = rw(AIORING_OP_READ, ring.ring_fd, buf, 512);
	expect("READ of the ring's own fd", &s, -EINVAL);
	s = rw(AIORING_OP_WRITE, ring.ring_fd, buf, 512);
	expect("WRITE to the ring's own fd", &s, -EINVAL);
	s = rw(AIORING_OP_READ, opath, buf, 512);
	expect("READ of an O_PATH fd", &s, -EBADF);
	s = rw(AIORING_OP_FSYNC, opath, NULL, 0);
	expect("FSYNC of an O_PATH fd", &s, -EBADF);
	s = rw(AIORING_OP_READ, efd, buf, 4);
	expect("READ of 4 bytes from an eventfd", &s, -EINVAL);
	s = rw(AIORING_OP_READ, pfd[1], buf, 512);
	expect("READ of a pipe's write end", &s, -EBADF);
	s = rw(AIORING_OP_WRITE, pfd[0], buf, 512);
	expect("WRITE to a pipe's read end", &s, -EBADF);
	s = rw(AIORING_OP_FSYNC, sv[0], NULL, 0);
	expect("FSYNC of a socket", &s, -EINVAL);
	/* A signalfd read by the module's threads would read theirs. */
	s = rw(AIORING_OP_READ, sfd, buf, sizeof(struct signalfd_siginfo));
	expect("READ of a signalfd", &s, -EOPNOTSUPP);
	s = rw(AIORING_OP_WRITE, sfd, buf, sizeof(struct signalfd_siginfo));
	expect("WRITE to a signalfd", &s, -EOPNOTSUPP);

	/* Memory that cannot do it */
	s = rw(AIORING_OP_READ, file, pages + 4096, 512);
	expect("READ into a read-only page", &s, -EFAULT);
	s = rw(AIORING_OP_READ, file, pages + 2 * 4096, 512);
	expect("READ into a PROT_NONE page", &s, -EFAULT);
	s = rw(AIORING_OP_WRITE, file, pages + 2 * 4096, 512);
	expect("WRITE from a PROT_NONE page", &s, -EFAULT);
	/* Two iovecs, the second one's struct in the page after. */
	s = rw(AIORING_OP_READV, file, (struct iovec *)(pages + 4 * 4096) - 1, 2);
	expect("READV with an iovec array running into an unmapped page", &s,
	       -EFAULT);
	s = rw(AIORING_OP_WRITEV, file, (struct iovec *)(pages + 2 * 4096) - 1, 2);
	expect("WRITEV with an iovec array running into PROT_NONE", &s, -EFAULT);
	s = rw(AIORING_OP_READV, file, pages + 4096, 1);
	expect("READV with an iovec (in a read-only page) pointing at NULL", &s,
	       -EFAULT);

	/* Fixed opcodes */
	{
		struct iovec b = { buf, 8192 };

		T_RES(aioring_register_buffers(&ring, &b, 1), 0);
	}
	s = rw(AIORING_OP_WRITE_FIXED, rdonly, buf, 512);
	expect("WRITE_FIXED to an O_RDONLY fd", &s, -EBADF);
	s = rw(AIORING_OP_READ_FIXED, wronly, buf, 512);
	expect("READ_FIXED from an O_WRONLY fd", &s, -EBADF);
	s = rw(AIORING_OP_READ_FIXED, file, buf, 512);
	s.rw_flags = RWF_HIPRI;
	expect("READ_FIXED with RWF_HIPRI", &s, -EINVAL);
	s.rw_flags = 0x10000000U;
	expect("READ_FIXED with rw_flags 0x10000000", &s, -EOPNOTSUPP);
	s = rw(AIORING_OP_WRITE_FIXED, file, buf, 512);
	s.rw_flags = 0x80000000U;
	expect("WRITE_FIXED with rw_flags 0x80000000", &s, -EOPNOTSUPP);
	s = rw(AIORING_OP_READ_FIXED, file, buf, 512);
	s.flags = AIORING_SQE_FIXED_FILE;
	expect("READ_FIXED, fixed file with no table", &s, -EBADF);
	T_RES(aioring_register_files(&ring, &file, 1), 0);
	s.fd = 1;
	expect("READ_FIXED, fixed file index 1 of 1", &s, -EBADF);
	s.flags |= AIORING_SQE_ASYNC;
	expect("READ_FIXED, SQE_ASYNC, fixed file index 1 of 1", &s, -EBADF);
	s = rw(AIORING_OP_FSYNC, 1, NULL, 0);
	s.flags = AIORING_SQE_FIXED_FILE;
	expect("FSYNC, fixed file index 1 of 1", &s, -EBADF);
	s = rw(AIORING_OP_FSYNC, file, NULL, 0);
	s.buf_index = 1;
	expect("FSYNC with buf_index 1", &s, -EINVAL);
	s = rw(AIORING_OP_READ, file, buf, 512);
	s.buf_index = 0;
	s.flags = AIORING_SQE_FIXED_FILE | AIORING_SQE_ASYNC;
	s.fd = -1;
	expect("READ, SQE_ASYNC, fixed file index -1", &s, -EBADF);

	t_expect_no_cqe(&ring);
	t_nop_roundtrip(&ring, 1);
	aioring_queue_exit(&ring);
	t_log("%u SQE cases", nr_cases);
	return t_exit_status();
}
