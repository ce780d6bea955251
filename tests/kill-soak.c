/* SPDX-License-Identifier: MIT */
/*
 * Description: the kill -9 soak. Processes of an unprivileged member of
 * the device's group are killed with SIGKILL at random moments, each with
 * I/O of every kind in flight: a data ring writing checksummed 4 KiB
 * records (inline, worker or SQ thread mode, plain or registered buffers
 * and files, buffered or O_DIRECT) and committing them with FSYNC through
 * the ring; cold buffered reads on a slow device (IOCB_WAITQ); a worker
 * ring (SQWQ) doing buffered writes and fsyncs; an SQ thread reading
 * through registered files; polled O_DIRECT reads (IOPOLL); POLL_ADD and
 * READs of pipes and sockets nobody writes; READ_FIXED into registered
 * buffers; a CQ overflowed and left so; and a ring closed from another
 * thread while its owner waits in ENTER. Two victims run at a time.
 *
 * After each kill: the victim is gone within 5 s, and every record it saw
 * committed (its FSYNC CQE came after the records' own CQEs) is intact,
 * read back through the page cache or, every other kill, from the disk
 * after the clean pages were dropped. Throughout: no task stays in D
 * state. At the end: module refcount, aior_req objects, pinned pages,
 * vmalloc areas, ring threads and the user's locked memory are back at
 * their baseline (tests/fuzz-baseline.h), and the module unloads
 * (delete_module), after which it is loaded again for the tests that
 * follow.
 *
 *   kill-soak [--kills N] [--time SEC] [--seed S]
 *
 * Defaults: 1000 kills, within a time that follows the runner's per-test
 * timeout (AIORING_TEST_TIMEOUT, 120 s): 45 s under it (make check, where
 * emulation fits a few hundred kills), the timeout less 60 s with a longer
 * one (make check-debug, make soak). AIORING_SOAK_KILLS, AIORING_SOAK_TIME
 * and AIORING_SOAK_SEED override them, and so do the options.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "fuzz-baseline.h"

#define REC		4096
#define BATCH		4
#define MAX_RECS	4096
#define COLD_SIZE	(8 << 20)
#define SCRATCH_SIZE	(1 << 20)
#define SLOTS		2
#define MODULE_KO	"/lib/aioring/aioring.ko"

static unsigned opt_kills = 1000, opt_time = 45;
static uint64_t opt_seed;

/* Written by the victims, read by their root parents (MAP_SHARED). */
struct slot_state {
	atomic_uint	ready;
	atomic_uint	committed;	/* records whose FSYNC completed */
	atomic_uint	features;	/* what this victim had in flight */
};
struct shared {
	struct slot_state slot[SLOTS];
	atomic_uint	kills, verified_recs, disk_checks, failed;
	atomic_uint	feature_count[16];
};
static struct shared *sh;

static char cold_path[256], scratch_path[256];
static int polldev_fd = -1;
static const char *data_dir;

/* What a victim runs besides its data ring; each is a thread. */
enum {
	F_WAITQ, F_WORKER, F_SQTHREAD, F_IOPOLL, F_POLL, F_FIXED, F_OVERFLOW,
	F_CLOSE_MID_ENTER, F_NR
};
static const char *const fnames[] = {
	"waitq", "worker", "sqthread", "iopoll", "poll", "regbuf", "overflow",
	"close-mid-enter",
};

/* Data ring variants. */
enum { D_INLINE, D_WORKER, D_SQTHREAD, D_NR };

static uint64_t xrand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Record @seq of kill @id: a header and a pattern only they give. */
static void fill_rec(unsigned char *b, uint64_t id, uint64_t seq)
{
	uint64_t s = id * 0x100000001b3ULL ^ seq;

	for (unsigned i = 0; i < REC; i += 8) {
		uint64_t v = xrand(&s);

		memcpy(b + i, &v, 8);
	}
	memcpy(b, &id, 8);
	memcpy(b + 8, &seq, 8);
}

static void vfail(const char *what, int err)
{
	fprintf(stderr, "kill-soak: victim: %s: %s\n", what, t_resname(err));
	_exit(1);
}

/* Submit what is prepared; -EBUSY means reap first, which callers do. */
static int submit(struct aioring *r)
{
	int ret = aioring_submit(r);

	if (ret < 0 && ret != -EBUSY && ret != -EAGAIN && ret != -EINTR)
		vfail("submit", ret);
	return ret;
}

static void reap_all(struct aioring *r)
{
	struct aioring_cqe *cqe;

	while (aioring_peek_cqe(r, &cqe) == 0)
		aioring_cqe_seen(r, cqe);
}

static int wait_one(struct aioring *r, struct aioring_cqe **cqe, unsigned ms)
{
	struct __kernel_timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	return aioring_wait_cqe_timeout(r, cqe, &ts);
}

/* ----------------------------------------------------------- the victim */

struct victim {
	int		slot;
	uint64_t	id, rnd;
	unsigned	features;
	int		data_mode, data_dio, data_fixed, data_vec;
	int		data_fd;
	char		data_path[300];
};

static struct victim V;

/*
 * The data ring: BATCH records written, their CQEs checked, then FSYNC
 * through the ring; once its CQE is 0 they are committed.
 */
static void *data_thread(void *arg)
{
	struct aioring_params p = { 0 };
	struct aioring ring;
	struct aioring_cqe *cqe;
	unsigned char *bufs;
	struct iovec iov = { 0 };
	int fd = V.data_fd, fdx, ret;
	unsigned seq = 0;

	(void)arg;
	if (V.data_mode == D_WORKER)
		p.flags = AIORING_SETUP_SQWQ;
	else if (V.data_mode == D_SQTHREAD) {
		p.flags = AIORING_SETUP_SQTHREAD;
		p.sq_thread_idle = 5;
	}
	ret = aioring_queue_init_params(16, &ring, &p);
	if (ret)
		vfail("data ring", ret);
	bufs = t_aligned_alloc(4096, BATCH * REC);
	fdx = fd;
	if (V.data_mode == D_SQTHREAD || V.data_fixed) {
		ret = aioring_register_files(&ring, &fd, 1);
		if (ret)
			vfail("register files", ret);
		fdx = 0;
	}
	if (V.data_fixed) {
		iov.iov_base = bufs;
		iov.iov_len = BATCH * REC;
		ret = aioring_register_buffers(&ring, &iov, 1);
		if (ret)
			vfail("register buffers", ret);
	}
	atomic_fetch_add(&sh->slot[V.slot].ready, 1);
	while (seq + BATCH <= MAX_RECS) {
		struct iovec v[BATCH][2];
		unsigned got = 0, i;

		for (i = 0; i < BATCH; i++) {
			struct aioring_sqe *sqe;
			unsigned char *b = bufs + i * REC;
			uint64_t off = (uint64_t)(seq + i) * REC;

			fill_rec(b, V.id, seq + i);
			while (!(sqe = aioring_get_sqe(&ring)))
				submit(&ring);
			if (V.data_fixed)
				aioring_prep_write_fixed(sqe, fdx, b, REC, off, 0);
			else if (V.data_vec) {
				v[i][0].iov_base = b;
				v[i][0].iov_len = 512;
				v[i][1].iov_base = b + 512;
				v[i][1].iov_len = REC - 512;
				aioring_prep_writev(sqe, fdx, v[i], 2, off);
			} else
				aioring_prep_write(sqe, fdx, b, REC, off);
			if (fdx != fd)
				sqe->flags |= AIORING_SQE_FIXED_FILE;
			aioring_sqe_set_data64(sqe, seq + i);
		}
		submit(&ring);
		while (got < BATCH) {
			ret = wait_one(&ring, &cqe, 10000);
			if (ret == -EINTR || ret == -ETIME || ret == -EBUSY)
				continue;
			if (ret)
				vfail("wait for a write", ret);
			if (cqe->res != REC) {
				fprintf(stderr, "kill-soak: victim %llu: write of record %llu: %s\n",
					(unsigned long long)V.id,
					(unsigned long long)cqe->user_data,
					t_resname(cqe->res));
				_exit(1);
			}
			aioring_cqe_seen(&ring, cqe);
			got++;
		}
		{
			struct aioring_sqe *sqe;

			while (!(sqe = aioring_get_sqe(&ring)))
				submit(&ring);
			aioring_prep_fsync(sqe, fdx, (seq / BATCH) & 1 ? AIORING_FSYNC_DATASYNC : 0);
			if (fdx != fd)
				sqe->flags |= AIORING_SQE_FIXED_FILE;
			aioring_sqe_set_data64(sqe, ~0ULL - 1);
			submit(&ring);
		}
		for (;;) {
			ret = wait_one(&ring, &cqe, 10000);
			if (ret == -EINTR || ret == -ETIME || ret == -EBUSY)
				continue;
			if (ret)
				vfail("wait for fsync", ret);
			break;
		}
		if (cqe->res)
			vfail("fsync", cqe->res);
		aioring_cqe_seen(&ring, cqe);
		seq += BATCH;
		/* Only now: the parent may rely on these records. */
		atomic_store(&sh->slot[V.slot].committed, seq);
	}
	for (;;)
		pause();
	return NULL;
}

/* Cold buffered reads of a big file on the slow device: IOCB_WAITQ. */
static void *waitq_thread(void *arg)
{
	struct aioring ring;
	uint64_t s = V.rnd ^ 1;
	char *buf = t_aligned_alloc(4096, 8 * 16384);
	int fd = open(cold_path, O_RDONLY), ret;

	(void)arg;
	if (fd < 0 || (ret = aioring_queue_init(16, &ring, 0)))
		return NULL;
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	for (;;) {
		struct aioring_sqe *sqe;

		while ((sqe = aioring_get_sqe(&ring))) {
			aioring_prep_read(sqe, fd, buf + (xrand(&s) % 8) * 16384, 16384,
					  (xrand(&s) % (COLD_SIZE / 16384)) * 16384);
		}
		submit(&ring);
		reap_all(&ring);
		if (xrand(&s) % 8 == 0)
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		usleep(1000);
	}
	return NULL;
}

/* Worker mode: buffered writes and fsyncs of a scratch file, queued up. */
static void *worker_thread(void *arg)
{
	struct aioring_params p = { .flags = AIORING_SETUP_SQWQ, .max_workers = 4 };
	struct aioring ring;
	uint64_t s = V.rnd ^ 2;
	char *buf = t_aligned_alloc(4096, 65536);
	char path[320];
	int fd;

	(void)arg;
	snprintf(path, sizeof(path), "%s.w", V.data_path);
	fd = open(path, O_RDWR);
	if (fd < 0 || aioring_queue_init_params(32, &ring, &p))
		return NULL;
	memset(buf, 'w', 65536);
	for (;;) {
		struct aioring_sqe *sqe;

		while ((sqe = aioring_get_sqe(&ring))) {
			if (xrand(&s) % 6 == 0)
				aioring_prep_fsync(sqe, fd, 0);
			else
				aioring_prep_write(sqe, fd, buf, 4096 + xrand(&s) % 61440,
						   (xrand(&s) % 64) * 65536);
		}
		submit(&ring);
		reap_all(&ring);
		usleep(2000);
	}
	return NULL;
}

/* The SQ thread, through registered files: the scratch file and a pipe. */
static void *sqthread_thread(void *arg)
{
	struct aioring_params p = { .flags = AIORING_SETUP_SQTHREAD, .sq_thread_idle = 20 };
	struct aioring ring;
	uint64_t s = V.rnd ^ 3;
	char *buf = t_aligned_alloc(4096, 16 * 4096);
	int fds[2], pfd[2], i = 0;

	(void)arg;
	if (pipe(pfd))
		return NULL;
	fds[0] = open(scratch_path, O_RDONLY);
	fds[1] = pfd[0];
	if (fds[0] < 0 || aioring_queue_init_params(16, &ring, &p) ||
	    aioring_register_files(&ring, fds, 2))
		return NULL;
	/* A read of the pipe that never completes, held by the SQ thread's ring. */
	{
		struct aioring_sqe *sqe = aioring_get_sqe(&ring);

		aioring_prep_read(sqe, 1, buf, 4096, -1ULL);
		sqe->flags |= AIORING_SQE_FIXED_FILE;
	}
	for (;;) {
		struct aioring_sqe *sqe;

		while ((sqe = aioring_get_sqe(&ring))) {
			aioring_prep_read(sqe, 0, buf + (i++ % 16) * 4096, 4096,
					  (xrand(&s) % (SCRATCH_SIZE / 4096)) * 4096);
			sqe->flags |= AIORING_SQE_FIXED_FILE;
		}
		submit(&ring);
		reap_all(&ring);
		usleep(1000);
	}
	return NULL;
}

/* Polled O_DIRECT reads of the polled block device. */
static void *iopoll_thread(void *arg)
{
	struct aioring ring;
	uint64_t s = V.rnd ^ 4;
	char *buf = t_aligned_alloc(4096, 8 * 4096);
	int i = 0;

	(void)arg;
	if (polldev_fd < 0 || aioring_queue_init(16, &ring, AIORING_SETUP_IOPOLL))
		return NULL;
	for (;;) {
		struct aioring_sqe *sqe;
		struct aioring_cqe *cqe;

		while ((sqe = aioring_get_sqe(&ring)))
			aioring_prep_read(sqe, polldev_fd, buf + (i++ % 8) * 4096, 4096,
					  (xrand(&s) % 4096) * 4096);
		submit(&ring);
		/* Reaping polls the device. */
		wait_one(&ring, &cqe, 5);
		reap_all(&ring);
	}
	return NULL;
}

/* Polls and READs on a pipe and a socket that nobody ever writes. */
static void *poll_thread(void *arg)
{
	struct aioring ring;
	char buf[64];
	int pfd[2], sv[2];

	(void)arg;
	if (pipe(pfd) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
	    aioring_queue_init(16, &ring, 0))
		return NULL;
	for (int i = 0; i < 3; i++) {
		struct aioring_sqe *sqe = aioring_get_sqe(&ring);

		if (i == 0)
			aioring_prep_poll_add(sqe, pfd[0], POLLIN);
		else if (i == 1)
			aioring_prep_poll_add(sqe, sv[0], POLLIN | POLLRDHUP);
		else
			aioring_prep_read(sqe, sv[1], buf, sizeof(buf), -1ULL);
	}
	submit(&ring);
	for (;;)
		pause();
	return NULL;
}

/* READ_FIXED into registered buffers, O_DIRECT where it works. */
static void *fixed_thread(void *arg)
{
	struct aioring ring;
	struct iovec iov;
	uint64_t s = V.rnd ^ 6;
	int fd, i = 0;

	(void)arg;
	fd = open(scratch_path, O_RDONLY | O_DIRECT);
	if (fd < 0)
		fd = open(scratch_path, O_RDONLY);
	iov.iov_len = 8 * 4096;
	iov.iov_base = t_aligned_alloc(4096, iov.iov_len);
	if (fd < 0 || aioring_queue_init(16, &ring, 0) ||
	    aioring_register_buffers(&ring, &iov, 1))
		return NULL;
	for (;;) {
		struct aioring_sqe *sqe;

		while ((sqe = aioring_get_sqe(&ring)))
			aioring_prep_read_fixed(sqe, fd, (char *)iov.iov_base + (i++ % 8) * 4096,
						4096, (xrand(&s) % (SCRATCH_SIZE / 4096)) * 4096, 0);
		submit(&ring);
		reap_all(&ring);
		usleep(1000);
	}
	return NULL;
}

/* A CQ filled past its size with NOPs and left: completions parked. */
static void *overflow_thread(void *arg)
{
	struct aioring_params p = { .cq_entries = 8 };
	struct aioring ring;

	(void)arg;
	if (aioring_queue_init_params(8, &ring, &p))
		return NULL;
	for (int i = 0; i < 8; i++) {
		struct aioring_sqe *sqe;

		while ((sqe = aioring_get_sqe(&ring)))
			aioring_prep_nop(sqe);
		if (submit(&ring) == -EBUSY)
			break;
	}
	for (;;)
		pause();
	return NULL;
}

/*
 * A ring whose owner thread waits in ENTER for a pipe READ while another
 * thread closes the ring fd under it (dup2 of /dev/null over it, so the
 * number never lands on anything else); then a new ring, again.
 */
static atomic_int cme_fd = -1;

static void *cme_closer(void *arg)
{
	uint64_t s = V.rnd ^ 8;
	int devnull = open("/dev/null", O_RDWR);

	(void)arg;
	for (;;) {
		int fd;

		usleep(1000 + xrand(&s) % 20000);
		fd = atomic_exchange(&cme_fd, -1);
		if (fd >= 0)
			dup2(devnull, fd);
	}
	return NULL;
}

static void *cme_thread(void *arg)
{
	pthread_t closer;
	char buf[64];
	int pfd[2];

	(void)arg;
	if (pipe(pfd) || pthread_create(&closer, NULL, cme_closer, NULL))
		return NULL;
	for (;;) {
		struct aioring ring;
		struct aioring_sqe *sqe;
		struct aioring_cqe *cqe;

		if (aioring_queue_init(4, &ring, 0))
			return NULL;
		sqe = aioring_get_sqe(&ring);
		aioring_prep_read(sqe, pfd[0], buf, sizeof(buf), -1ULL);
		sqe = aioring_get_sqe(&ring);
		aioring_prep_poll_add(sqe, pfd[0], POLLIN);
		atomic_store(&cme_fd, ring.ring_fd);
		for (;;) {
			int ret = wait_one(&ring, &cqe, 50);

			if (ret == -ENOTTY)
				break;
			if (!ret)
				aioring_cqe_seen(&ring, cqe);
		}
		/* The fd is /dev/null's now: unmap, and close that. */
		aioring_queue_exit(&ring);
	}
	return NULL;
}

static void *(*const fthreads[F_NR])(void *) = {
	waitq_thread, worker_thread, sqthread_thread, iopoll_thread, poll_thread,
	fixed_thread, overflow_thread, cme_thread,
};

static void victim(int slot, uint64_t id, const char *path, int ready_fd)
{
	pthread_t th;

	V.slot = slot;
	V.id = id;
	V.rnd = opt_seed ^ (id * 0x9e3779b97f4a7c15ULL);
	xrand(&V.rnd);
	V.data_mode = xrand(&V.rnd) % D_NR;
	V.data_dio = xrand(&V.rnd) & 1;
	V.data_fixed = xrand(&V.rnd) % 3 == 0;
	V.data_vec = !V.data_fixed && xrand(&V.rnd) % 3 == 0;
	V.features = xrand(&V.rnd) & ((1U << F_NR) - 1);
	snprintf(V.data_path, sizeof(V.data_path), "%s", path);
	V.data_fd = open(path, O_RDWR | (V.data_dio ? O_DIRECT : 0));
	if (V.data_fd < 0 && V.data_dio)
		V.data_fd = open(path, O_RDWR);
	if (V.data_fd < 0)
		vfail("open the data file", -errno);
	atomic_store(&sh->slot[slot].features, V.features);
	signal(SIGPIPE, SIG_IGN);
	for (int f = 0; f < F_NR; f++)
		if (V.features & (1U << f))
			pthread_create(&th, NULL, fthreads[f], NULL);
	pthread_create(&th, NULL, data_thread, NULL);
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

/* --------------------------------------------------------- the killers */

/* The records 0..@n-1 of kill @id in @path, byte for byte. */
static int verify(const char *path, uint64_t id, unsigned n, int from_disk)
{
	unsigned char *got = t_aligned_alloc(4096, REC), *exp = malloc(REC);
	int fd = open(path, O_RDONLY), bad = 0;

	if (fd < 0) {
		t_error("kill %llu: open %s: %s", (unsigned long long)id, path, t_errname(errno));
		return 1;
	}
	/*
	 * Clean pages go; what fsync wrote is read from the disk. (Pages
	 * written after the last FSYNC may stay dirty and cached.)
	 */
	if (from_disk)
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	for (unsigned i = 0; i < n && !bad; i++) {
		ssize_t r = pread(fd, got, REC, (off_t)i * REC);

		fill_rec(exp, id, i);
		if (r != REC) {
			t_error("kill %llu: committed record %u of %u: read %zd (%s)",
				(unsigned long long)id, i, n, r, r < 0 ? t_errname(errno) : "short");
			bad = 1;
		} else if (memcmp(got, exp, REC)) {
			unsigned b = 0;

			while (got[b] == exp[b])
				b++;
			t_error("kill %llu: committed record %u of %u differs at byte %u "
				"(0x%02x, expected 0x%02x)%s", (unsigned long long)id, i, n, b,
				got[b], exp[b], from_disk ? ", read from the disk" : "");
			bad = 1;
		}
	}
	close(fd);
	free(exp);
	free(got);
	return bad;
}

static void killer(int slot, unsigned kills, uint64_t t_end)
{
	uint64_t s = opt_seed ^ (0xabcdULL << slot);

	for (unsigned k = 0; k < kills && t_now_ns() < t_end; k++) {
		uint64_t id = (uint64_t)k * SLOTS + slot, t0;
		char path[300], wpath[310];
		int rp[2], fd, from_disk;
		unsigned committed, delay;
		pid_t pid;
		char c;

		snprintf(path, sizeof(path), "%s/kill-soak.%d.%llu", data_dir, (int)getppid(),
			 (unsigned long long)id);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0666);
		if (fd < 0 || fchmod(fd, 0666)) {
			t_error("create %s: %s", path, t_errname(errno));
			break;
		}
		close(fd);
		/* The worker thread's file: the victim may not create files here. */
		snprintf(wpath, sizeof(wpath), "%s.w", path);
		fd = open(wpath, O_RDWR | O_CREAT | O_TRUNC, 0666);
		if (fd < 0 || fchmod(fd, 0666)) {
			t_error("create %s: %s", wpath, t_errname(errno));
			break;
		}
		close(fd);
		atomic_store(&sh->slot[slot].ready, 0);
		atomic_store(&sh->slot[slot].committed, 0);
		if (pipe(rp))
			t_fail("pipe: %s", t_errname(errno));
		pid = fork();
		if (pid < 0)
			t_fail("fork: %s", t_errname(errno));
		if (pid == 0) {
			close(rp[0]);
			t_become_user(T_USER_UID);
			victim(slot, id, path, rp[1]);
		}
		close(rp[1]);
		/* Now and then before it is even going; mostly mid-I/O. */
		delay = xrand(&s) % 10 == 0 ? 0 : 10 + xrand(&s) % 250;
		if (delay) {
			if (read(rp[0], &c, 1) != 1) {
				t_wait_child(pid, 5000);
				t_error("kill %llu: the victim died before it got going",
					(unsigned long long)id);
				atomic_fetch_add(&sh->failed, 1);
				close(rp[0]);
				break;
			}
			t_sleep_ms(delay);
		}
		close(rp[0]);
		t0 = t_now_ns();
		kill(pid, SIGKILL);
		if (t_wait_child(pid, 5000) < 0) {
			/* t_wait_child has failed the test already: not reached. */
			break;
		}
		committed = atomic_load(&sh->slot[slot].committed);
		for (int f = 0; f < F_NR; f++)
			if (atomic_load(&sh->slot[slot].features) & (1U << f))
				atomic_fetch_add(&sh->feature_count[f], 1);
		from_disk = k & 1;
		if (verify(path, id, committed, from_disk))
			atomic_fetch_add(&sh->failed, 1);
		atomic_fetch_add(&sh->verified_recs, committed);
		atomic_fetch_add(&sh->disk_checks, from_disk);
		atomic_fetch_add(&sh->kills, 1);
		unlink(path);
		unlink(wpath);
		if ((t_now_ns() - t0) / 1000000 > 5000)
			t_log("kill %llu: took %llu ms to reap", (unsigned long long)id,
			      (unsigned long long)((t_now_ns() - t0) / 1000000));
	}
	_exit(t_exit_status());
}

/* delete_module must work once everything is gone; then load it again. */
static void unload_reload(void)
{
	int fd;

	if (syscall(SYS_delete_module, "aioring", O_NONBLOCK)) {
		t_error("delete_module(aioring) after the soak: %s (refcnt %ld)",
			t_errname(errno), t_module_refcnt());
		return;
	}
	t_log("aioring unloaded after the soak");
	fd = open(MODULE_KO, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "", 0))
		t_fail("could not load %s again: %s", MODULE_KO, t_errname(errno));
	close(fd);
	/* As packaging's udev rule makes it (lab/guest-init.sh). */
	for (int i = 0; i < 50 && access(AIORING_DEVICE, F_OK); i++)
		t_sleep_ms(100);
	if (chown(AIORING_DEVICE, 0, T_DEVICE_GID) || chmod(AIORING_DEVICE, 0660))
		t_error("%s: %s", AIORING_DEVICE, t_errname(errno));
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 64 << 20, 64 << 20 };
	struct fz_keeper keeper;
	struct fz_base before;
	struct fz_dwatch dw = { 0 };
	uint64_t t0, t_end, last = 0, last_note;
	pid_t kp[SLOTS];
	unsigned alive = SLOTS, per;
	const char *env;
	char *buf;
	int fd;

	opt_seed = t_now_ns();
	if ((env = getenv("AIORING_TEST_TIMEOUT")) && strtoul(env, NULL, 0) > 120)
		opt_time = strtoul(env, NULL, 0) - 60;
	if ((env = getenv("AIORING_SOAK_KILLS")))
		opt_kills = strtoul(env, NULL, 0);
	if ((env = getenv("AIORING_SOAK_TIME")))
		opt_time = strtoul(env, NULL, 0);
	if ((env = getenv("AIORING_SOAK_SEED")))
		opt_seed = strtoull(env, NULL, 0);
	for (int a = 1; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--kills"))
			opt_kills = strtoul(argv[a + 1], NULL, 0);
		else if (!strcmp(argv[a], "--time"))
			opt_time = strtoul(argv[a + 1], NULL, 0);
		else if (!strcmp(argv[a], "--seed"))
			opt_seed = strtoull(argv[a + 1], NULL, 0);
		else
			t_fail("unknown option %s", argv[a]);
	}
	t_log("seed 0x%llx, %u kills within %u s", (unsigned long long)opt_seed, opt_kills,
	      opt_time);
	t_require_device();
	if (getuid() != 0)
		t_skip("needs root, to measure the baselines and drop privileges");
	if (t_module_refcnt() < 0)
		t_skip("no /sys/module/aioring/refcnt");

	/* Files the victims read: a cold one on the slow device if there is one. */
	data_dir = t_test_dir();
	snprintf(cold_path, sizeof(cold_path), "%s/kill-soak.cold.%d",
		 getenv("AIORING_TEST_DIR_SLOW") ? getenv("AIORING_TEST_DIR_SLOW") : data_dir,
		 (int)getpid());
	snprintf(scratch_path, sizeof(scratch_path), "%s/kill-soak.scratch.%d", data_dir,
		 (int)getpid());
	buf = malloc(1 << 20);
	memset(buf, 'c', 1 << 20);
	fd = T_SYSOK(open(cold_path, O_RDWR | O_CREAT | O_TRUNC, 0644));
	for (int i = 0; i < COLD_SIZE >> 20; i++)
		T_EQ(write(fd, buf, 1 << 20), 1 << 20);
	fsync(fd);
	close(fd);
	fd = T_SYSOK(open(scratch_path, O_RDWR | O_CREAT | O_TRUNC, 0644));
	T_EQ(write(fd, buf, SCRATCH_SIZE), SCRATCH_SIZE);
	fsync(fd);
	close(fd);
	free(buf);
	env = getenv("AIORING_TEST_POLL_DEV");
	if (env)
		polldev_fd = open(env, O_RDONLY | O_DIRECT);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		t_fail("mmap: %s", t_errname(errno));
	t_wait_refcnt(0, 10000);
	fz_keeper_start(&keeper, T_USER_UID);
	fz_measure(&before, &keeper);
	fz_print_base("before", &before);
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		t_log("RLIMIT_MEMLOCK: %s", t_errname(errno));

	t0 = t_now_ns();
	t_end = t0 + (uint64_t)opt_time * 1000000000ULL;
	per = (opt_kills + SLOTS - 1) / SLOTS;
	for (int i = 0; i < SLOTS; i++) {
		kp[i] = fork();
		if (kp[i] < 0)
			t_fail("fork: %s", t_errname(errno));
		if (kp[i] == 0)
			killer(i, i ? opt_kills - per : per, t_end);
	}
	last_note = t0;
	while (alive) {
		if (t_now_ns() - last_note > 30000000000ULL) {
			last_note = t_now_ns();
			t_log("%.0f s: %u kills", (last_note - t0) / 1e9, atomic_load(&sh->kills));
		}
		for (int i = 0; i < SLOTS; i++) {
			int st;

			if (kp[i] > 0 && waitpid(kp[i], &st, WNOHANG) == kp[i]) {
				if (!WIFEXITED(st) || WEXITSTATUS(st))
					t_error("killer %d ended with status 0x%x", i, st);
				kp[i] = 0;
				alive--;
			}
		}
		if (t_now_ns() - last > 2000000000ULL) {
			last = t_now_ns();
			if (fz_dscan(&dw, "kill-soak", 3))
				t_error("tasks in D state for 4 s or more (seed 0x%llx, %u kills)",
					(unsigned long long)opt_seed, atomic_load(&sh->kills));
		}
		if (t_now_ns() > t_end + 60000000000ULL) {
			t_error("the soak did not end 60 s after its time");
			fz_dump_dstate();
			for (int i = 0; i < SLOTS; i++)
				if (kp[i] > 0)
					kill(kp[i], SIGKILL);
			break;
		}
		t_sleep_ms(50);
	}
	t_log("seed 0x%llx: %u kills in %.1f s, %u committed records verified (%u kills read "
	      "back from the disk), %u failures",
	      (unsigned long long)opt_seed, atomic_load(&sh->kills), (t_now_ns() - t0) / 1e9,
	      atomic_load(&sh->verified_recs), atomic_load(&sh->disk_checks),
	      atomic_load(&sh->failed));
	for (int f = 0; f < F_NR; f++)
		t_log("  %u kills with %s in flight", atomic_load(&sh->feature_count[f]), fnames[f]);
	if (atomic_load(&sh->failed))
		t_error("%u kills failed their checks", atomic_load(&sh->failed));
	if (atomic_load(&sh->kills) < opt_kills)
		t_log("time budget reached: %u of %u kills", atomic_load(&sh->kills), opt_kills);

	if (fz_check_base(&before, &keeper, 20000, "after the soak") == 0 &&
	    !t_nr_errors) {
		fz_keeper_stop(&keeper);
		if (fz_count_tasks("aioring-", 0, 1) == 0)
			unload_reload();
		else
			t_error("ring threads left: the module cannot be unloaded");
	} else {
		fz_keeper_stop(&keeper);
	}
	if (fz_count_tasks("aioring-", 1, 1) > 0) {
		t_error("ring threads in D state after the soak");
		fz_dump_dstate();
	}
	unlink(cold_path);
	unlink(scratch_path);
	return t_exit_status();
}
