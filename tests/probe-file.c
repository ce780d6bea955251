/* SPDX-License-Identifier: MIT */
/*
 * Description: AIORING_IOC_PROBE_FILE reports how aioring treats an open
 * file. Bad input: a closed or negative fd is -EBADF, a nonzero flags or
 * reserved field -EINVAL, an unreadable argument -EFAULT; caps on input is
 * ignored. Answers: a file on ext4 (and xfs, when the lab gives one) has
 * async buffered reads (BUF_RASYNC and WAITQ, on every supported kernel),
 * NOWAIT and IOPOLL; the no_waitq parameter clears WAITQ only; a pipe is
 * none of ASYNC, BUF_RASYNC, WAITQ, IOPOLL; a block device is ASYNC.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "t_async.h"

#define EXT4_MAGIC	0xEF53
#define XFS_MAGIC	0x58465342

static int ring_fd;

static int probe(int fd, struct aioring_probe_file *pf)
{
	memset(pf, 0, sizeof(*pf));
	pf->fd = fd;
	return ioctl(ring_fd, AIORING_IOC_PROBE_FILE, pf);
}

static unsigned caps_of(int fd, const char *what)
{
	struct aioring_probe_file pf;

	if (probe(fd, &pf))
		t_fail("%s: AIORING_IOC_PROBE_FILE: expected success, got %s",
		       what, t_errname(errno));
	return pf.caps;
}

static void expect_caps(const char *what, unsigned caps, unsigned set,
			unsigned clear)
{
	if ((caps & set) != set)
		t_error("%s: caps 0x%x: expected bits 0x%x set, missing 0x%x",
			what, caps, set, set & ~caps);
	if (caps & clear)
		t_error("%s: caps 0x%x: expected bits 0x%x clear, set 0x%x",
			what, caps, clear, caps & clear);
}

static void restore_param(void)
{
	t_set_param("no_waitq", "N");
}

/* A fresh file in @dir, if @dir is on a file system of type @magic. */
static void check_fs_file(const char *dir, unsigned long magic, const char *name)
{
	unsigned all = AIORING_FILE_ASYNC | AIORING_FILE_NOWAIT |
		       AIORING_FILE_BUF_RASYNC | AIORING_FILE_WAITQ |
		       AIORING_FILE_IOPOLL;
	char path[256];
	struct statfs sfs;
	unsigned caps;
	int fd, rd;

	if (!dir) {
		t_log("%s: no directory given, not checked", name);
		return;
	}
	if (statfs(dir, &sfs) || (unsigned long)sfs.f_type != magic) {
		t_log("%s: %s is not %s, not checked", name, dir, name);
		return;
	}
	setenv("AIORING_TEST_DIR", dir, 1);
	fd = t_create_file(4096, NULL, path, sizeof(path));
	rd = T_SYSOK(open(path, O_RDONLY | O_CLOEXEC));

	caps = caps_of(rd, name);
	t_log("%s file: caps 0x%x", name, caps);
	expect_caps(name, caps, all, 0);

	/* no_waitq: the file system can still do it; aioring will not. */
	if (t_set_param("no_waitq", "Y") == 0) {
		caps = caps_of(rd, name);
		expect_caps("with no_waitq=Y", caps, all & ~AIORING_FILE_WAITQ,
			    AIORING_FILE_WAITQ);
		restore_param();
		expect_caps("with no_waitq=N again", caps_of(rd, name), all, 0);
	} else {
		t_log("cannot set no_waitq (not root?): that part not checked");
	}
	close(rd);
	close(fd);
}

int main(void)
{
	struct aioring_probe_file pf;
	const char *dev;
	unsigned i, caps;
	int pipefd[2], fd, closed;

	t_require_device();
	atexit(restore_param);
	ring_fd = t_open_dev();

	/* Bad fds */
	T_SYSERR(probe(-1, &pf), EBADF);
	closed = T_SYSOK(dup(0));
	close(closed);
	T_SYSERR(probe(closed, &pf), EBADF);

	/* Reserved space and flags; a valid fd, so only they are wrong. */
	fd = T_SYSOK(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	memset(&pf, 0, sizeof(pf));
	pf.fd = fd;
	pf.flags = 1;
	T_SYSERR(ioctl(ring_fd, AIORING_IOC_PROBE_FILE, &pf), EINVAL);
	pf.flags = 0;
	pf.resv1 = 1;
	T_SYSERR(ioctl(ring_fd, AIORING_IOC_PROBE_FILE, &pf), EINVAL);
	pf.resv1 = 0;
	for (i = 0; i < T_ARRAY_SIZE(pf.resv); i++) {
		pf.resv[i] = 1ULL << 63;
		T_SYSERR(ioctl(ring_fd, AIORING_IOC_PROBE_FILE, &pf), EINVAL);
		pf.resv[i] = 0;
	}
	T_SYSERR(ioctl(ring_fd, AIORING_IOC_PROBE_FILE, (void *)(uintptr_t)T_KERNEL_ADDR),
		 EFAULT);
	/* caps is out only: whatever it held is replaced. */
	pf.caps = ~0U;
	T_SYSOK(ioctl(ring_fd, AIORING_IOC_PROBE_FILE, &pf));
	expect_caps("a directory", pf.caps, 0,
		    AIORING_FILE_ASYNC | AIORING_FILE_WAITQ | 0xffffffc0U);
	close(fd);

	/* A pipe executes inline: nothing async about it. */
	T_SYSOK(pipe(pipefd));
	caps = caps_of(pipefd[0], "pipe");
	t_log("pipe: caps 0x%x", caps);
	expect_caps("pipe", caps, 0, AIORING_FILE_ASYNC | AIORING_FILE_BUF_RASYNC |
		    AIORING_FILE_WAITQ | AIORING_FILE_IOPOLL);
	close(pipefd[0]);
	close(pipefd[1]);

	/* The ring fd itself is no file to do I/O on. */
	expect_caps("ring fd", caps_of(ring_fd, "ring fd"), 0,
		    AIORING_FILE_ASYNC | AIORING_FILE_BUF_RASYNC);

	/* ext4 and xfs: async buffered reads on all supported kernels. */
	check_fs_file(getenv("AIORING_TEST_DIR"), EXT4_MAGIC, "ext4");
	check_fs_file(getenv("AIORING_TEST_DIR_SLOW_XFS"), XFS_MAGIC, "xfs");

	/* A block device goes through the async paths and can be polled. */
	dev = getenv("AIORING_TEST_POLL_DEV");
	if (dev && (fd = open(dev, O_RDONLY | O_CLOEXEC)) >= 0) {
		caps = caps_of(fd, dev);
		t_log("%s: caps 0x%x", dev, caps);
		expect_caps(dev, caps, AIORING_FILE_ASYNC | AIORING_FILE_IOPOLL, 0);
		close(fd);
	}
	close(ring_fd);
	return t_exit_status();
}
