/* SPDX-License-Identifier: MIT */
/*
 * Description: a ring's threads are contained in its owner's cgroup and
 * cpuset, and the SQ thread's parameters are held to what the admin and
 * the owner allow. Root puts a child in a cgroup of its own (cgroup v2,
 * mounted here if it is not); the child, an unprivileged member of the
 * device's group, sets up an SQ-thread ring and a worker-mode ring whose
 * punted reads start workers. Every thread fdinfo lists (async thread,
 * SQ thread, workers) must show the child's cgroup in /proc/TID/cgroup.
 * With its affinity cut to CPU 0, SQ_AFF on CPU 1 gets EINVAL and CPU 0
 * works; sq_thread_idle above the max_sq_thread_idle parameter gets
 * EINVAL, and at it works.
 */
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "t_async.h"

static char cg_dir[256], file_path[256];

static void read_all(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		t_fail("%s: %s", path, t_errname(errno));
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
}

static unsigned read_uint(const char *path)
{
	char buf[64];

	read_all(path, buf, sizeof(buf));
	return (unsigned)strtoul(buf, NULL, 10);
}

/* Set when the kernel cannot attach the threads to a v2 cgroup (5.10). */
static int io_only;

static void check_threads(int ring_fd, const char *self_cg, int min)
{
	int tids[64], n, i;
	char path[64], cg[4096], mode[4096];
	FILE *f;

	n = t_ring_threads(ring_fd, tids, 64);
	if (n < min)
		t_fail("fdinfo lists %d threads, expected at least %d", n, min);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ring_fd);
	f = fopen(path, "r");
	while (f && fgets(mode, sizeof(mode), f))
		if (!strncmp(mode, "ThreadCgroup2:", 14) && strstr(mode, "io-only"))
			io_only = 1;
	if (f)
		fclose(f);
	if (io_only) {
		t_log("this kernel's cgroup_attach_task_all() skips cgroup v2: threads share the owner's io cgroup only (owned-iomax)");
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/cgroup", tids[i]);
		read_all(path, cg, sizeof(cg));
		if (strcmp(cg, self_cg))
			t_fail("thread %d is in cgroup '%s', its owner in '%s'",
			       tids[i], cg, self_cg);
	}
}

static void child(void)
{
	unsigned max_idle = read_uint("/sys/module/aioring/parameters/max_sq_thread_idle");
	struct aioring_params p;
	struct aioring ring, wring;
	char self_cg[4096];
	cpu_set_t one;
	int fd, i, ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);

	t_become_user(T_USER_UID);
	read_all("/proc/self/cgroup", self_cg, sizeof(self_cg));
	if (!strstr(self_cg, "aioring-owned"))
		t_fail("the child is not in the test's cgroup: '%s'", self_cg);

	/* SQ thread: in the cgroup. */
	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_SQTHREAD;
	T_RES(aioring_queue_init_params(4, &ring, &p), 0);
	check_threads(ring.ring_fd, self_cg, 2);
	aioring_queue_exit(&ring);

	/* Workers, started by punted reads: in the cgroup. */
	fd = T_SYSOK(open(file_path, O_RDONLY));
	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_SQWQ;
	p.max_workers = 2;
	T_RES(aioring_queue_init_params(8, &wring, &p), 0);
	for (i = 0; i < 8; i++) {
		static char buf[8][4096];
		struct aioring_sqe *sqe = t_get_sqe(&wring);

		aioring_prep_read(sqe, fd, buf[i], 4096, (uint64_t)i * 4096);
		aioring_sqe_set_data64(sqe, i);
	}
	t_submit(&wring, 8);
	for (i = 0; i < 8; i++) {
		struct aioring_cqe cqe;

		t_reap(&wring, &cqe, 1);
		if (cqe.res != 4096)
			t_fail("punted read %llu: %s", (unsigned long long)cqe.user_data,
			       t_resname(cqe.res));
	}
	check_threads(wring.ring_fd, self_cg, 2);
	aioring_queue_exit(&wring);

	/* The SQ thread's CPU must be one its owner may use. */
	if (ncpu >= 2) {
		CPU_ZERO(&one);
		CPU_SET(0, &one);
		T_SYSOK(sched_setaffinity(0, sizeof(one), &one));
		memset(&p, 0, sizeof(p));
		p.flags = AIORING_SETUP_SQTHREAD | AIORING_SETUP_SQ_AFF;
		p.sq_thread_cpu = 1;
		T_RES(aioring_queue_init_params(4, &ring, &p), -EINVAL);
		p.sq_thread_cpu = 0;
		T_RES(aioring_queue_init_params(4, &ring, &p), 0);
		aioring_queue_exit(&ring);
	}

	/* sq_thread_idle is capped by the module parameter. */
	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_SQTHREAD;
	p.sq_thread_idle = max_idle + 1;
	T_RES(aioring_queue_init_params(4, &ring, &p), -EINVAL);
	p.sq_thread_idle = max_idle;
	T_RES(aioring_queue_init_params(4, &ring, &p), 0);
	aioring_queue_exit(&ring);
	_exit(io_only ? 77 : 0);
}

int main(void)
{
	const char *root = "/sys/fs/cgroup";
	char procs[300], pidbuf[32];
	struct stat st;
	pid_t pid;
	int fd, go[2], status;
	char c;

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to make a cgroup and drop privileges");
	if (stat("/sys/fs/cgroup/cgroup.procs", &st)) {
		mkdir(root, 0755);
		if (mount("cgroup2", root, "cgroup2", 0, NULL))
			t_skip("cannot mount cgroup2: %s", t_errname(errno));
	}
	snprintf(cg_dir, sizeof(cg_dir), "%s/aioring-owned", root);
	rmdir(cg_dir);
	T_SYSOK(mkdir(cg_dir, 0755));
	t_create_file(8 * 4096, NULL, file_path, sizeof(file_path));

	T_SYSOK(pipe(go));
	pid = T_SYSOK(fork());
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		child();
	}
	close(go[0]);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg_dir);
	fd = T_SYSOK(open(procs, O_WRONLY));
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
	T_SYSOK(write(fd, pidbuf, strlen(pidbuf)));
	close(fd);
	T_EQ(write(go[1], "g", 1), 1);
	close(go[1]);
	status = t_wait_child(pid, 60000);
	if (!WIFEXITED(status) || (WEXITSTATUS(status) && WEXITSTATUS(status) != 77))
		t_fail("the child failed (status 0x%x): see its messages", status);
	io_only = WEXITSTATUS(status) == 77;
	/* The threads left with their rings: the cgroup empties. */
	for (int i = 0; i < 100 && rmdir(cg_dir); i++)
		t_sleep_ms(20);
	if (!stat(cg_dir, &st))
		t_fail("%s is still busy after the rings closed", cg_dir);
	if (io_only)
		t_skip("threads cannot join a cgroup v2 group on this kernel (io only); the rest passed");
	return T_EXIT_PASS;
}
