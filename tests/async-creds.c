/* SPDX-License-Identifier: MIT */
/*
 * Description: workers act with the submitter's credentials. An
 * unprivileged writer to a world-writable setuid file must clear its
 * setuid bit (the kernel keeps it only for CAP_FSETID): if a worker wrote
 * with a kernel thread's full credentials, the bit would survive. Also, a
 * file the submitter could not open stays out of reach: the worker gets no
 * new file access from its kernel identity.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "t_async.h"

#define NOBODY	65534

static int child(const char *path, const char *secret, unsigned flags)
{
	struct aioring_stats st;
	struct aioring_sqe *sqe;
	struct aioring ring;
	char buf[64];
	int fd;

	t_become_user(NOBODY);
	t_ring_mode(&ring, 4, flags);

	fd = open(path, O_WRONLY);
	if (fd < 0)
		t_fail("open %s as nobody: %s", path, t_errname(errno));
	memset(buf, 'x', sizeof(buf));
	sqe = t_get_sqe(&ring);
	aioring_prep_write(sqe, fd, buf, sizeof(buf), 0);
	aioring_sqe_set_data64(sqe, 1);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, sizeof(buf));
	t_stats(&ring, &st);
	t_print_stats("write", &st);
	if (flags & AIORING_SETUP_SQWQ)
		T_EQ(st.punted, 1);
	close(fd);

	/* The root-only file: nobody cannot open it, so has no fd to submit. */
	T_SYSERR(open(secret, O_RDONLY), EACCES);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}

static void one(unsigned flags)
{
	char path[256], secret[256];
	struct stat sb;
	pid_t pid;
	int fd;

	fd = t_create_file(4096, NULL, path, sizeof(path));
	T_SYSOK(fchmod(fd, 04777));
	close(fd);
	fd = t_create_file(4096, NULL, secret, sizeof(secret));
	T_SYSOK(fchmod(fd, 0600));
	close(fd);
	T_SYSOK(chmod(t_test_dir(), 0777));

	pid = fork();
	if (pid < 0)
		t_fail("fork");
	if (pid == 0)
		exit(child(path, secret, flags));
	t_expect_child_exit(pid, 0, "unprivileged writer");

	T_SYSOK(stat(path, &sb));
	if (sb.st_mode & S_ISUID)
		t_fail("flags 0x%x: setuid bit survived a write by uid %d "
		       "(mode %o): the worker did not use the submitter's "
		       "credentials", flags, NOBODY, sb.st_mode & 07777);
}

int main(void)
{
	t_require_device();
	if (geteuid() != 0)
		t_skip("needs root to make a setuid file and drop privileges");
	one(AIORING_SETUP_SQWQ);
	one(0);
	return T_EXIT_PASS;
}
