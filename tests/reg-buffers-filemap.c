/* SPDX-License-Identifier: MIT */
/*
 * Description: only anonymous memory, shmem (memfd, shared anonymous) and
 * hugetlb can be registered, on every kernel: a MAP_SHARED or MAP_PRIVATE
 * mapping of a regular file gets -EOPNOTSUPP, alone or as one buffer of
 * several, and pins nothing (io_uring refuses file-backed memory the same
 * way; 5.10 and 6.1 pinned it long-term before the fix). Run as uid 1000.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "t_async.h"

static void try_reg(struct aioring *ring, void *addr, size_t len, int expect,
		    const char *what)
{
	struct iovec iov = { addr, len };
	int ret = aioring_register_buffers(ring, &iov, 1);

	if (ret != expect)
		t_error("%s: register: expected %s, got %s", what,
			t_resname(expect), t_resname(ret));
	if (!ret)
		T_RES(aioring_unregister_buffers(ring), 0);
}

static char path[256];

static int child(void)
{
	long page = sysconf(_SC_PAGESIZE), base;
	struct aioring ring;
	struct iovec two[2];
	char *m, *anon;
	int fd, mfd;

	t_become_user(T_USER_UID);
	fd = open(path, O_RDWR);
	if (fd < 0)
		t_fail("open %s: %s", path, t_errname(errno));
	t_ring_init(&ring, 4, 0);
	base = t_vmpin_kb();

	m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		t_fail("mmap MAP_SHARED of a file");
	m[0] = 1;
	try_reg(&ring, m, 4 * page, -EOPNOTSUPP, "MAP_SHARED file");
	munmap(m, 4 * page);
	m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		t_fail("mmap MAP_PRIVATE of a file");
	try_reg(&ring, m, 4 * page, -EOPNOTSUPP, "MAP_PRIVATE file");

	/* One good buffer and one file-backed: the whole call fails. */
	anon = t_aligned_alloc(page, 2 * page);
	two[0].iov_base = anon;
	two[0].iov_len = 2 * page;
	two[1].iov_base = m;
	two[1].iov_len = page;
	T_RES(aioring_register_buffers(&ring, two, 2), -EOPNOTSUPP);
	T_EQ(t_vmpin_kb(), base);
	munmap(m, 4 * page);

	/* What may be pinned still can. */
	try_reg(&ring, anon, 2 * page, 0, "anonymous");
	m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		t_fail("mmap MAP_SHARED|MAP_ANONYMOUS");
	try_reg(&ring, m, 2 * page, 0, "shared anonymous");
	munmap(m, 2 * page);
	mfd = syscall(SYS_memfd_create, "aioring-test", 0);
	if (mfd >= 0 && !ftruncate(mfd, 2 * page)) {
		m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED,
			 mfd, 0);
		if (m == MAP_FAILED)
			t_fail("mmap of a memfd");
		try_reg(&ring, m, 2 * page, 0, "memfd");
		munmap(m, 2 * page);
		close(mfd);
	}
	aioring_queue_exit(&ring);
	close(fd);
	return t_exit_status();
}

int main(void)
{
	pid_t pid;
	int fd;

	t_require_device();
	/* Made by root, given to the test user: /mnt/test is root's. */
	fd = t_create_file(4 * 4096, NULL, path, sizeof(path));
	if (fchown(fd, T_USER_UID, T_USER_UID))
		t_fail("chown: %s", t_errname(errno));
	close(fd);
	pid = fork();
	if (pid < 0)
		t_fail("fork");
	if (!pid)
		exit(child());
	t_expect_child_exit(pid, 0, "file-backed registration as uid 1000");
	return t_exit_status();
}
