/* SPDX-License-Identifier: MIT */
/*
 * Description: the owner's io.max applies to the I/O a ring's workers and
 * SQ thread issue. Root makes a cgroup (v2, io controller) whose io.max
 * allows 2 MiB/s of reads from the slow null_blk device (0.2 ms, ext4 at
 * AIORING_TEST_DIR_SLOW) and puts an unprivileged child in it. The child
 * reads 4 MiB of a file there, 64 KiB at a time, 8 in flight: O_DIRECT
 * through blocking workers (SQWQ), then cold buffered reads submitted by
 * the SQ thread (registered file). Each must take at least 1.2 s; the
 * same O_DIRECT reads from outside the cgroup must be at least twice as
 * fast, or the device itself is too slow to tell.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "t_async.h"

#define TOTAL	(4u << 20)
#define CHUNK	(64u << 10)
#define QD	8
#define RATE	(2u << 20)

static char path[256], cg_dir[256];

/* Read TOTAL bytes of @fd through @ring, QD at a time; returns ms taken. */
static unsigned read_all(struct aioring *ring, int fd_or_idx, int fixed,
			 char *bufs)
{
	unsigned off = 0, done = 0, inflight = 0;
	uint64_t t0 = t_now_ns();

	while (done < TOTAL) {
		struct aioring_cqe cqe;

		while (inflight < QD && off < TOTAL) {
			struct aioring_sqe *sqe = t_get_sqe(ring);

			aioring_prep_read(sqe, fd_or_idx,
					  bufs + (size_t)(off / CHUNK % QD) * CHUNK,
					  CHUNK, off);
			if (fixed)
				sqe->flags |= AIORING_SQE_FIXED_FILE;
			aioring_sqe_set_data64(sqe, off);
			off += CHUNK;
			inflight++;
		}
		aioring_submit(ring);
		t_reap(ring, &cqe, 1);
		if (cqe.res != (int)CHUNK)
			t_fail("read at %llu: %s", (unsigned long long)cqe.user_data,
			       t_resname(cqe.res));
		done += CHUNK;
		inflight--;
	}
	return (unsigned)((t_now_ns() - t0) / 1000000);
}

static unsigned direct_workers(void)
{
	struct aioring_params p;
	struct aioring ring;
	char *bufs = t_aligned_alloc(4096, (size_t)QD * CHUNK);
	int fd = T_SYSOK(open(path, O_RDONLY | O_DIRECT));
	unsigned ms;

	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_SQWQ;
	T_RES(aioring_queue_init_params(QD * 2, &ring, &p), 0);
	ms = read_all(&ring, fd, 0, bufs);
	aioring_queue_exit(&ring);
	close(fd);
	free(bufs);
	return ms;
}

static void child(int ready)
{
	struct aioring_params p;
	struct aioring ring;
	char *bufs = t_aligned_alloc(4096, (size_t)QD * CHUNK);
	unsigned ms;
	int fd;
	char c;

	if (read(ready, &c, 1) != 1)
		_exit(1);
	t_become_user(T_USER_UID);

	ms = direct_workers();
	if (ms < 1200)
		t_fail("O_DIRECT through workers: %u bytes in %u ms, io.max allows %u B/s",
		       TOTAL, ms, RATE);
	t_log("workers, O_DIRECT: %u ms under io.max", ms);

	fd = T_SYSOK(open(path, O_RDONLY));
	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_SQTHREAD;
	T_RES(aioring_queue_init_params(QD * 2, &ring, &p), 0);
	T_RES(aioring_register_files(&ring, &fd, 1), 0);
	ms = read_all(&ring, 0, 1, bufs);
	if (ms < 1200)
		t_fail("buffered through the SQ thread: %u bytes in %u ms, io.max allows %u B/s",
		       TOTAL, ms, RATE);
	t_log("SQ thread, buffered: %u ms under io.max", ms);
	aioring_queue_exit(&ring);
	_exit(0);
}

static void write_str(const char *file, const char *s)
{
	int fd = open(file, O_WRONLY);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		t_skip("%s <- '%s': %s", file, s, t_errname(errno));
	close(fd);
}

int main(void)
{
	const char *slow = getenv("AIORING_TEST_DIR_SLOW");
	const char *root = "/sys/fs/cgroup";
	char file[300], buf[128];
	unsigned free_ms;
	struct stat st;
	int ready[2], fd;
	pid_t pid;

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root for cgroups and to drop privileges");
	if (!slow)
		t_skip("no AIORING_TEST_DIR_SLOW (null_blk ext4)");
	if (stat("/sys/fs/cgroup/cgroup.procs", &st)) {
		mkdir(root, 0755);
		if (mount("cgroup2", root, "cgroup2", 0, NULL))
			t_skip("cannot mount cgroup2: %s", t_errname(errno));
	}
	write_str("/sys/fs/cgroup/cgroup.subtree_control", "+io");
	snprintf(cg_dir, sizeof(cg_dir), "%s/aioring-iomax", root);
	rmdir(cg_dir);
	T_SYSOK(mkdir(cg_dir, 0755));

	snprintf(path, sizeof(path), "%s/owned-iomax.dat", slow);
	fd = T_SYSOK(open(path, O_RDWR | O_CREAT | O_TRUNC, 0644));
	{
		char *chunk = calloc(1, CHUNK);
		unsigned off;

		for (off = 0; off < TOTAL; off += CHUNK)
			T_EQ(pwrite(fd, chunk, CHUNK, off), (ssize_t)CHUNK);
		free(chunk);
	}
	T_SYSOK(fsync(fd));
	T_SYSOK(fstat(fd, &st));
	close(fd);
	snprintf(file, sizeof(file), "%s/io.max", cg_dir);
	snprintf(buf, sizeof(buf), "%u:%u rbps=%u", major(st.st_dev),
		 minor(st.st_dev), RATE);
	write_str(file, buf);

	free_ms = direct_workers();
	t_log("workers, O_DIRECT, outside the cgroup: %u ms", free_ms);
	if (free_ms * 2 > 2000)
		t_skip("the device alone takes %u ms for %u bytes: too slow to tell",
		       free_ms, TOTAL);

	/* Cold, for the buffered reads of the SQ thread. */
	write_str("/proc/sys/vm/drop_caches", "3");
	T_SYSOK(pipe(ready));
	pid = T_SYSOK(fork());
	if (pid == 0) {
		close(ready[1]);
		child(ready[0]);
	}
	close(ready[0]);
	snprintf(file, sizeof(file), "%s/cgroup.procs", cg_dir);
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	write_str(file, buf);
	T_EQ(write(ready[1], "g", 1), 1);
	close(ready[1]);
	t_expect_child_exit(pid, 0, "io.max on the ring's threads");
	unlink(path);
	for (int i = 0; i < 100 && rmdir(cg_dir); i++)
		t_sleep_ms(20);
	return T_EXIT_PASS;
}
