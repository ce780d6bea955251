/* SPDX-License-Identifier: MIT */
/*
 * Description: AIORING_IOC_REGISTER (and the other ioctls from a process
 * that does not own the ring) refuse what the ABI does not allow, each
 * with its exact errno, and a refused call leaves nothing registered:
 * EBADFD before setup, EFAULT for a bad argument, array or buffer
 * (unmapped, PROT_NONE, read-only, a bad element after a good one), EINVAL
 * for reserved fields, an offset outside FILES_UPDATE, io_uring's
 * opcodes aioring lacks and arguments to UNREGISTER, ENXIO for an update
 * with no table, EBADF for a bad or O_PATH descriptor (a partial update
 * returns the slots done), EPERM for REGISTER, STATS and PROBE_FILE from
 * a forked child.
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "t_helpers.h"

/* One REGISTER ioctl: its result or -errno. */
static int reg1(int fd, unsigned opcode, unsigned nr, const void *arg,
		unsigned offset)
{
	struct aioring_register_args a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.opcode = opcode;
	a.nr = nr;
	a.arg = (__u64)(uintptr_t)arg;
	a.offset = offset;
	ret = ioctl(fd, AIORING_IOC_REGISTER, &a);
	return ret < 0 ? -errno : ret;
}

static int reg_args(int fd, struct aioring_register_args *a)
{
	return ioctl(fd, AIORING_IOC_REGISTER, a) < 0 ? -errno : 0;
}

#define EXPECT(what, got, exp) do {					\
	int _g = (got), _x = (exp);					\
	if (_g != _x)							\
		t_error("%s: expected %s, got %s", what,		\
			t_resname(_x), t_resname(_g));			\
	nr_cases++;							\
} while (0)

static unsigned nr_cases;

int main(void)
{
	struct aioring_register_args a;
	struct aioring_probe_file pf;
	struct aioring_stats st;
	struct aioring ring;
	struct iovec iov[2];
	unsigned char *pages;
	char path[256];
	int fd, file, opath, fds[2];
	pid_t pid;

	t_require_device();
	file = t_create_file(4096, NULL, path, sizeof(path));
	opath = T_SYSOK(open(path, O_PATH | O_CLOEXEC));
	fd = t_open_dev();
	EXPECT("REGISTER_FILES before setup",
	       reg1(fd, AIORING_REGISTER_FILES, 1, &file, 0), -EBADFD);
	EXPECT("UNREGISTER_BUFFERS before setup",
	       reg1(fd, AIORING_UNREGISTER_BUFFERS, 0, NULL, 0), -EBADFD);
	close(fd);

	t_ring_init(&ring, 4, 0);
	fd = ring.ring_fd;
	/* After the ring's mappings, so that none lands in the hole. */
	/* Page 0 read-write, 1 read-only, 2 PROT_NONE, 3 unmapped. */
	pages = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		t_fail("mmap: %s", t_errname(errno));
	memset(pages, 0, 2 * 4096);
	/* The last int of the read-only page: a good fd before PROT_NONE. */
	memcpy(pages + 2 * 4096 - sizeof(int), &file, sizeof(int));
	T_SYSOK(mprotect(pages + 4096, 4096, PROT_READ));
	T_SYSOK(mprotect(pages + 2 * 4096, 4096, PROT_NONE));
	T_SYSOK(munmap(pages + 3 * 4096, 4096));

	T_SYSERR(ioctl(fd, AIORING_IOC_REGISTER, NULL), EFAULT);
	nr_cases++;
	T_SYSERR(ioctl(fd, AIORING_IOC_REGISTER, pages + 2 * 4096), EFAULT);
	nr_cases++;

	/* Reserved fields, offsets, opcodes */
	memset(&a, 0, sizeof(a));
	a.opcode = AIORING_REGISTER_FILES;
	a.nr = 1;
	a.arg = (uintptr_t)&file;
	a.resv1 = 1;
	EXPECT("REGISTER_FILES resv1 = 1", reg_args(fd, &a), -EINVAL);
	a.resv1 = 0;
	a.resv[0] = 1ULL << 63;
	EXPECT("REGISTER_FILES resv[0] = 1 << 63", reg_args(fd, &a), -EINVAL);
	EXPECT("REGISTER_FILES offset 1",
	       reg1(fd, AIORING_REGISTER_FILES, 1, &file, 1), -EINVAL);
	EXPECT("REGISTER_BUFFERS offset 1",
	       reg1(fd, AIORING_REGISTER_BUFFERS, 1, iov, 1), -EINVAL);
	EXPECT("UNREGISTER_FILES offset 1",
	       reg1(fd, AIORING_UNREGISTER_FILES, 0, NULL, 1), -EINVAL);
	EXPECT("opcode 4 (io_uring's REGISTER_EVENTFD)",
	       reg1(fd, 4, 1, &file, 0), -EINVAL);
	EXPECT("opcode 5 (io_uring's UNREGISTER_EVENTFD)",
	       reg1(fd, 5, 0, NULL, 0), -EINVAL);
	EXPECT("opcode 0xffffffff", reg1(fd, 0xffffffffU, 0, NULL, 0), -EINVAL);
	EXPECT("UNREGISTER_BUFFERS nr 1",
	       reg1(fd, AIORING_UNREGISTER_BUFFERS, 1, NULL, 0), -EINVAL);
	EXPECT("UNREGISTER_BUFFERS arg set",
	       reg1(fd, AIORING_UNREGISTER_BUFFERS, 0, iov, 0), -EINVAL);
	EXPECT("UNREGISTER_FILES nr 1",
	       reg1(fd, AIORING_UNREGISTER_FILES, 1, NULL, 0), -EINVAL);
	EXPECT("UNREGISTER_FILES arg set",
	       reg1(fd, AIORING_UNREGISTER_FILES, 0, &file, 0), -EINVAL);
	EXPECT("FILES_UPDATE with no table",
	       reg1(fd, AIORING_REGISTER_FILES_UPDATE, 1, &file, 0), -ENXIO);

	/* Files */
	fds[0] = -2;
	EXPECT("REGISTER_FILES fd -2", aioring_register_files(&ring, fds, 1), -EBADF);
	fds[0] = INT_MIN;
	EXPECT("REGISTER_FILES fd INT_MIN", aioring_register_files(&ring, fds, 1), -EBADF);
	EXPECT("REGISTER_FILES an O_PATH fd",
	       aioring_register_files(&ring, &opath, 1), -EBADF);
	fds[0] = file;
	fds[1] = 99999;
	EXPECT("REGISTER_FILES a bad fd after a good one",
	       aioring_register_files(&ring, fds, 2), -EBADF);
	/* The array runs into the PROT_NONE page after one good fd. */
	EXPECT("REGISTER_FILES array running into PROT_NONE",
	       aioring_register_files(&ring, (int *)(pages + 2 * 4096 - sizeof(int)), 2),
	       -EFAULT);
	EXPECT("REGISTER_FILES array in an unmapped page",
	       aioring_register_files(&ring, (int *)(pages + 3 * 4096), 1), -EFAULT);
	/* None of that registered anything. */
	EXPECT("FILES_UPDATE after refused registrations",
	       reg1(fd, AIORING_REGISTER_FILES_UPDATE, 1, &file, 0), -ENXIO);
	fds[0] = -1;
	fds[1] = -1;
	T_RES(aioring_register_files(&ring, fds, 2), 0);
	EXPECT("FILES_UPDATE nr 0",
	       reg1(fd, AIORING_REGISTER_FILES_UPDATE, 0, &file, 0), -EINVAL);
	fds[0] = 99999;
	EXPECT("FILES_UPDATE first fd bad",
	       aioring_register_files_update(&ring, 0, fds, 2), -EBADF);
	fds[0] = file;
	fds[1] = opath;
	EXPECT("FILES_UPDATE second fd O_PATH: one slot done",
	       aioring_register_files_update(&ring, 0, fds, 2), 1);
	EXPECT("FILES_UPDATE array unmapped",
	       aioring_register_files_update(&ring, 0, (int *)(pages + 3 * 4096), 1),
	       -EFAULT);
	EXPECT("FILES_UPDATE array PROT_NONE",
	       aioring_register_files_update(&ring, 0, (int *)(pages + 2 * 4096), 1),
	       -EFAULT);
	/* Slot 0 holds the file (the partial update), slot 1 is empty. */
	{
		unsigned char buf[64];
		struct aioring_sqe *sqe = t_get_sqe(&ring);

		aioring_prep_read(sqe, 0, buf, sizeof(buf), 0);
		sqe->flags |= AIORING_SQE_FIXED_FILE;
		aioring_sqe_set_data64(sqe, 1);
		sqe = t_get_sqe(&ring);
		aioring_prep_read(sqe, 1, buf, sizeof(buf), 0);
		sqe->flags |= AIORING_SQE_FIXED_FILE;
		aioring_sqe_set_data64(sqe, 2);
		t_submit(&ring, 2);
		t_expect_cqe(&ring, 1, sizeof(buf));
		t_expect_cqe(&ring, 2, -EBADF);
	}
	T_RES(aioring_unregister_files(&ring), 0);

	/* Buffers */
	EXPECT("REGISTER_BUFFERS array unmapped",
	       aioring_register_buffers(&ring, (struct iovec *)(pages + 3 * 4096), 1),
	       -EFAULT);
	iov[0].iov_base = NULL;
	iov[0].iov_len = 4096;
	EXPECT("buffer at NULL", aioring_register_buffers(&ring, iov, 1), -EFAULT);
	iov[0].iov_base = pages + 3 * 4096;
	EXPECT("buffer in an unmapped page", aioring_register_buffers(&ring, iov, 1),
	       -EFAULT);
	iov[0].iov_base = pages + 2 * 4096;
	EXPECT("buffer in a PROT_NONE page", aioring_register_buffers(&ring, iov, 1),
	       -EFAULT);
	iov[0].iov_base = pages + 4096;
	EXPECT("buffer in a read-only page", aioring_register_buffers(&ring, iov, 1),
	       -EFAULT);
	iov[0].iov_base = pages;
	iov[0].iov_len = 2 * 4096;
	EXPECT("buffer running from a writable page into a read-only one",
	       aioring_register_buffers(&ring, iov, 1), -EFAULT);
	iov[0].iov_len = 4096;
	iov[1].iov_base = pages + 3 * 4096;
	iov[1].iov_len = 4096;
	EXPECT("a good buffer, then one unmapped",
	       aioring_register_buffers(&ring, iov, 2), -EFAULT);
	EXPECT("UNREGISTER_BUFFERS after refused registrations",
	       aioring_unregister_buffers(&ring), -ENXIO);
	T_RES(aioring_register_buffers(&ring, iov, 1), 0);
	T_RES(aioring_unregister_buffers(&ring), 0);

	/* From a forked child: not the ring's mm. */
	pid = T_SYSOK(fork());
	if (pid == 0) {
		T_SYSERR(ioctl(fd, AIORING_IOC_STATS, &st), EPERM);
		T_RES(aioring_register_files(&ring, &file, 1), -EPERM);
		T_RES(aioring_unregister_buffers(&ring), -EPERM);
		memset(&pf, 0, sizeof(pf));
		pf.fd = file;
		T_SYSERR(ioctl(fd, AIORING_IOC_PROBE_FILE, &pf), EPERM);
		_exit(0);
	}
	t_expect_child_exit(pid, 0, "forked child's ioctls");
	nr_cases += 4;
	/* And the owner's ring is unchanged. */
	T_RES(aioring_unregister_files(&ring), -ENXIO);
	t_nop_roundtrip(&ring, 9);
	aioring_queue_exit(&ring);
	close(file);
	close(opath);
	t_log("%u register and ownership cases", nr_cases);
	return t_exit_status();
}
