/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for the aioring tests: failure reporting, device and raw
 * ioctl access, library ring wrappers that fail loudly, random data, test
 * files, child processes and timers. See t_helpers.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <time.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "t_helpers.h"

unsigned t_nr_errors;

static void t_vprint(const char *file, int line, const char *tag,
		     const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (file)
		fprintf(stderr, "%s: %s:%d: %s: %s\n",
			program_invocation_short_name, file, line, tag, msg);
	else
		fprintf(stderr, "%s: %s: %s\n",
			program_invocation_short_name, tag, msg);
}

void t_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vprint(file, line, "FAIL", fmt, ap);
	va_end(ap);
	exit(T_EXIT_FAIL);
}

void t_error_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vprint(file, line, "FAIL", fmt, ap);
	va_end(ap);
	t_nr_errors++;
}

int t_exit_status(void)
{
	return t_nr_errors ? T_EXIT_FAIL : T_EXIT_PASS;
}

void t_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vprint(NULL, 0, "SKIP", fmt, ap);
	va_end(ap);
	exit(T_EXIT_SKIP);
}

void t_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vprint(NULL, 0, "note", fmt, ap);
	va_end(ap);
}

static const struct {
	int err;
	const char *name;
} t_errnames[] = {
#define E(x) { x, #x }
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO),
	E(E2BIG), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(EBUSY), E(EEXIST), E(ENODEV), E(EINVAL), E(ENFILE),
	E(EMFILE), E(ENOTTY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS),
	E(EPIPE), E(ERANGE), E(ENOSYS), E(EBADFD), E(EOPNOTSUPP),
	E(ETIME), E(ECANCELED), E(EOVERFLOW), E(ETIMEDOUT),
#undef E
	{ 512, "ERESTARTSYS" }, { 513, "ERESTARTNOINTR" },
	{ 514, "ERESTARTNOHAND" }, { 516, "ERESTART_RESTARTBLOCK" },
};

const char *t_errname(int err)
{
	static __thread char buf[4][32];
	static __thread unsigned n;
	size_t i;

	for (i = 0; i < T_ARRAY_SIZE(t_errnames); i++)
		if (t_errnames[i].err == err)
			return t_errnames[i].name;
	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "errno %d", err);
	return buf[n];
}

const char *t_resname(long long res)
{
	static __thread char buf[4][48];
	static __thread unsigned n;

	n = (n + 1) % 4;
	if (res < 0 && res > -4096)
		snprintf(buf[n], sizeof(buf[n]), "-%s", t_errname((int)-res));
	else
		snprintf(buf[n], sizeof(buf[n]), "%lld", res);
	return buf[n];
}

int t_probe_device(void)
{
	int fd = open(AIORING_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == ENOENT || errno == ENODEV || errno == ENXIO) {
		fprintf(stderr, "%s: SKIP: %s: %s (module not loaded?)\n",
			program_invocation_short_name, AIORING_DEVICE,
			strerror(errno));
		return T_EXIT_SKIP;
	}
	fprintf(stderr, "%s: FAIL: open %s: expected success, got %s\n",
		program_invocation_short_name, AIORING_DEVICE,
		t_errname(errno));
	return T_EXIT_FAIL;
}

void t_require_device(void)
{
	int ret = t_probe_device();

	if (ret)
		exit(ret);
}

int t_open_dev(void)
{
	int fd = open(AIORING_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		t_fail("open %s: %s", AIORING_DEVICE, t_errname(errno));
	return fd;
}

void t_params(struct aioring_params *p, unsigned sq_entries,
	      unsigned cq_entries)
{
	memset(p, 0, sizeof(*p));
	p->sq_entries = sq_entries;
	p->cq_entries = cq_entries;
}

int t_setup_fd(struct aioring_params *p, unsigned sq_entries,
	       unsigned cq_entries)
{
	int fd = t_open_dev();

	t_params(p, sq_entries, cq_entries);
	if (ioctl(fd, AIORING_IOC_SETUP, p) < 0)
		t_fail("AIORING_IOC_SETUP sq %u cq %u: expected success, got %s",
		       sq_entries, cq_entries, t_errname(errno));
	return fd;
}

int t_enter_args(int fd, struct aioring_enter_args *args)
{
	return ioctl(fd, AIORING_IOC_ENTER, args);
}

int t_enter(int fd, unsigned to_submit, unsigned min_complete,
	    unsigned flags, unsigned long long timeout_ns)
{
	struct aioring_enter_args args;

	memset(&args, 0, sizeof(args));
	args.to_submit = to_submit;
	args.min_complete = min_complete;
	args.flags = flags;
	args.timeout_ns = timeout_ns;
	return t_enter_args(fd, &args);
}

size_t t_sq_ring_size(const struct aioring_params *p)
{
	return p->sq_off.array + p->sq_entries * sizeof(__u32);
}

size_t t_cq_ring_size(const struct aioring_params *p)
{
	return p->cq_off.cqes + p->cq_entries * sizeof(struct aioring_cqe);
}

size_t t_sqes_size(const struct aioring_params *p)
{
	return p->sq_entries * sizeof(struct aioring_sqe);
}

size_t t_page_round(size_t sz)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (sz + pg - 1) & ~(pg - 1);
}

void t_ring_init(struct aioring *ring, unsigned entries, unsigned cq_entries)
{
	struct aioring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.cq_entries = cq_entries;
	ret = aioring_queue_init_params(entries, ring, &p);
	if (ret)
		t_fail("aioring_queue_init_params(%u, cq %u): expected 0, got %s",
		       entries, cq_entries, t_resname(ret));
}

struct aioring_sqe *t_get_sqe(struct aioring *ring)
{
	struct aioring_sqe *sqe = aioring_get_sqe(ring);

	if (!sqe)
		t_fail("aioring_get_sqe: expected an SQE, got NULL (SQ full: %u ready)",
		       aioring_sq_ready(ring));
	return sqe;
}

unsigned t_publish(struct aioring *ring)
{
	struct aioring_sq *sq = &ring->sq;
	unsigned tail = *sq->ktail, n = 0;

	while (sq->sqe_head != sq->sqe_tail) {
		sq->array[tail & sq->ring_mask] = sq->sqe_head & sq->ring_mask;
		tail++;
		sq->sqe_head++;
		n++;
	}
	/* Pairs with the module's load-acquire of the SQ tail. */
	aioring_smp_store_release(sq->ktail, tail);
	return n;
}

void t_submit(struct aioring *ring, int expected)
{
	int ret = aioring_submit(ring);

	if (ret != expected)
		t_fail("aioring_submit: expected %d, got %s", expected,
		       t_resname(ret));
}

void t_reap(struct aioring *ring, struct aioring_cqe *out, unsigned nr)
{
	uint64_t deadline = t_now_ns() + (uint64_t)T_WAIT_MS * 1000000;
	unsigned got = 0;

	while (got < nr) {
		struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 100000000 };
		struct aioring_cqe *cqe;
		int ret = aioring_wait_cqe_timeout(ring, &cqe, &ts);

		if (ret == -ETIME || ret == -EINTR) {
			if (t_now_ns() > deadline)
				t_fail("waited %d ms for %u CQEs, got %u",
				       T_WAIT_MS, nr, got);
			continue;
		}
		if (ret)
			t_fail("aioring_wait_cqe_timeout: expected 0, got %s",
			       t_resname(ret));
		if (out)
			out[got] = *cqe;
		aioring_cqe_seen(ring, cqe);
		got++;
	}
}

void t_expect_cqe(struct aioring *ring, uint64_t user_data, int res)
{
	struct aioring_cqe cqe;

	t_reap(ring, &cqe, 1);
	if (cqe.user_data != user_data || cqe.res != res)
		t_fail("CQE: expected user_data 0x%llx res %s, got user_data 0x%llx res %s",
		       (unsigned long long)user_data, t_resname(res),
		       (unsigned long long)cqe.user_data, t_resname(cqe.res));
}

void t_expect_no_cqe(struct aioring *ring)
{
	unsigned ready = aioring_cq_ready(ring);

	if (ready)
		t_fail("CQ ring: expected no CQE, got %u (first user_data 0x%llx res %s)",
		       ready,
		       (unsigned long long)ring->cq.cqes[*ring->cq.khead & ring->cq.ring_mask].user_data,
		       t_resname(ring->cq.cqes[*ring->cq.khead & ring->cq.ring_mask].res));
	if (aioring_cq_has_overflow(ring))
		t_fail("SQ ring flags: expected no AIORING_SQ_CQ_OVERFLOW, got flags 0x%x",
		       *ring->sq.kflags);
}

void t_nop_roundtrip(struct aioring *ring, uint64_t user_data)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);

	aioring_prep_nop(sqe);
	aioring_sqe_set_data64(sqe, user_data);
	t_submit(ring, 1);
	t_expect_cqe(ring, user_data, 0);
}

/* xorshift64*: fast, good enough, reproducible from the printed seed. */
static uint64_t t_rand_state = 0x9e3779b97f4a7c15ULL;

void t_seed_random(void)
{
	const char *env = getenv("AIORING_TEST_SEED");
	uint64_t seed;

	if (env && *env)
		seed = strtoull(env, NULL, 0);
	else
		seed = t_now_ns() ^ ((uint64_t)getpid() << 32);
	if (!seed)
		seed = 1;
	t_rand_state = seed;
	t_log("random seed %llu (set AIORING_TEST_SEED to repeat)",
	      (unsigned long long)seed);
}

uint64_t t_rand64(void)
{
	uint64_t x = t_rand_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	t_rand_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

uint64_t t_rand_below(uint64_t n)
{
	return n ? t_rand64() % n : 0;
}

void t_fill_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len >= 8) {
		uint64_t v = t_rand64();

		memcpy(p, &v, 8);
		p += 8;
		len -= 8;
	}
	if (len) {
		uint64_t v = t_rand64();

		memcpy(p, &v, len);
	}
}

const char *t_test_dir(void)
{
	const char *dir = getenv("AIORING_TEST_DIR");

	return dir && *dir ? dir : "/tmp";
}

#define T_MAX_FILES 16
static char t_files[T_MAX_FILES][256];
static pid_t t_files_owner;
static unsigned t_nr_files;

static void t_remove_files(void)
{
	unsigned i;

	/* A fork()ed child exiting must not remove the parent's files. */
	if (getpid() != t_files_owner)
		return;
	for (i = 0; i < t_nr_files; i++)
		unlink(t_files[i]);
}

int t_create_file(size_t size, void *data, char *path, size_t pathlen)
{
	static unsigned seq;
	char name[256];
	char buf[65536];
	size_t done = 0;
	int fd;

	snprintf(name, sizeof(name), "%s/aioring-%s-%d-%u", t_test_dir(),
		 program_invocation_short_name, (int)getpid(), seq++);
	fd = open(name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		t_fail("create %s: %s", name, t_errname(errno));
	if (t_nr_files < T_MAX_FILES) {
		if (!t_nr_files) {
			t_files_owner = getpid();
			atexit(t_remove_files);
		}
		snprintf(t_files[t_nr_files++], sizeof(t_files[0]), "%s", name);
	}
	while (done < size) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);
		ssize_t w;

		t_fill_random(buf, n);
		w = pwrite(fd, buf, n, (off_t)done);
		if (w != (ssize_t)n)
			t_fail("write %s: expected %zu, got %zd (%s)", name, n,
			       w, w < 0 ? t_errname(errno) : "short");
		if (data)
			memcpy((char *)data + done, buf, n);
		done += n;
	}
	if (path)
		snprintf(path, pathlen, "%s", name);
	return fd;
}

void t_check_buf(const void *got, const void *exp, size_t len,
		 const char *what)
{
	const unsigned char *g = got, *e = exp;
	size_t i;

	if (!memcmp(got, exp, len))
		return;
	for (i = 0; i < len && g[i] == e[i]; i++)
		;
	t_fail("%s: data mismatch at byte %zu of %zu: expected 0x%02x, got 0x%02x",
	       what, i, len, e[i], g[i]);
}

void *t_aligned_alloc(size_t align, size_t size)
{
	void *p;
	int ret = posix_memalign(&p, align, size);

	if (ret)
		t_fail("posix_memalign(%zu, %zu): %s", align, size,
		       t_errname(ret));
	return p;
}

void *t_fault_page(int prot_none)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, prot_none ? PROT_NONE : PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		t_fail("mmap: %s", t_errname(errno));
	if (!prot_none && munmap(p, pg))
		t_fail("munmap: %s", t_errname(errno));
	return p;
}

int t_wait_child(pid_t pid, unsigned timeout_ms)
{
	uint64_t deadline = t_now_ns() + (uint64_t)timeout_ms * 1000000;
	int status;

	for (;;) {
		pid_t ret = waitpid(pid, &status, WNOHANG);

		if (ret == pid)
			return status;
		if (ret < 0 && errno != EINTR)
			t_fail("waitpid(%d): %s", (int)pid, t_errname(errno));
		if (t_now_ns() > deadline) {
			kill(pid, SIGKILL);
			t_fail("child %d did not finish within %u ms (hang?)",
			       (int)pid, timeout_ms);
		}
		t_sleep_ms(5);
	}
}

static void t_describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status 0x%x", status);
}

/*
 * How long t_expect_child_*() wait before calling a child hung: 60 s under
 * the runner's 120 s per-test timeout, the timeout less 60 s under a longer
 * one (a debug kernel's, where the same work takes several times as long).
 */
static unsigned t_child_wait_ms(void)
{
	const char *env = getenv("AIORING_TEST_TIMEOUT");
	unsigned long t = env ? strtoul(env, NULL, 0) : 0;

	return t > 120 ? (unsigned)((t - 60) * 1000) : 60000;
}

void t_expect_child_exit(pid_t pid, int code, const char *what)
{
	int status = t_wait_child(pid, t_child_wait_ms());
	char desc[64];

	if (WIFEXITED(status) && WEXITSTATUS(status) == code)
		return;
	t_describe_status(status, desc, sizeof(desc));
	t_fail("%s: expected child exit %d, got %s", what, code, desc);
}

void t_expect_child_signal(pid_t pid, int sig, const char *what)
{
	int status = t_wait_child(pid, t_child_wait_ms());
	char desc[64];

	if (WIFSIGNALED(status) && WTERMSIG(status) == sig)
		return;
	t_describe_status(status, desc, sizeof(desc));
	t_fail("%s: expected child killed by signal %d (%s), got %s", what,
	       sig, strsignal(sig), desc);
}

void t_signal(int sig, void (*fn)(int), int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		t_fail("sigaction(%d): %s", sig, t_errname(errno));
}

void t_alarm_ms(unsigned ms)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	if (setitimer(ITIMER_REAL, &it, NULL))
		t_fail("setitimer: %s", t_errname(errno));
}

uint64_t t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void t_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void t_become_user(uid_t uid)
{
	gid_t g = T_DEVICE_GID;

	if (setgroups(1, &g) || setgid(uid) || setuid(uid))
		t_fail("becoming uid %u: %s", (unsigned)uid, t_errname(errno));
	/* A uid change makes us undumpable: /proc/self would be root's. */
	if (prctl(PR_SET_DUMPABLE, 1))
		t_fail("PR_SET_DUMPABLE: %s", t_errname(errno));
}

long t_module_refcnt(void)
{
	FILE *f = fopen("/sys/module/aioring/refcnt", "r");
	long n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

long t_wait_refcnt(long want, unsigned ms)
{
	uint64_t deadline = t_now_ns() + (uint64_t)ms * 1000000;
	long now;

	while ((now = t_module_refcnt()) != want && t_now_ns() < deadline)
		t_sleep_ms(10);
	return now;
}

void t_send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 'r';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	T_EQ(sendmsg(sock, &msg, 0), 1);
}

void *t_uffd_region(size_t len, int *uffd)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	void *p;
	int fd;

	fd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (fd < 0)
		t_skip("userfaultfd: %s", t_errname(errno));
	if (ioctl(fd, UFFDIO_API, &api))
		t_skip("UFFDIO_API: %s", t_errname(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		t_fail("mmap %zu: %s", len, t_errname(errno));
	reg.range.start = (unsigned long)p;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(fd, UFFDIO_REGISTER, &reg))
		t_fail("UFFDIO_REGISTER: %s", t_errname(errno));
	*uffd = fd;
	return p;
}

static char *t_fdinfo_line(int ring_fd, const char *key, char *buf, size_t len)
{
	char path[64];
	size_t klen = strlen(key);
	FILE *f;
	char *ret = NULL;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ring_fd);
	f = fopen(path, "r");
	if (!f)
		t_fail("%s: %s", path, t_errname(errno));
	while (fgets(buf, len, f)) {
		if (!strncmp(buf, key, klen) && buf[klen] == ':') {
			ret = buf + klen + 1;
			break;
		}
	}
	fclose(f);
	return ret;
}

long t_fdinfo_num(int ring_fd, const char *key)
{
	char buf[4096], *v = t_fdinfo_line(ring_fd, key, buf, sizeof(buf));

	return v ? strtol(v, NULL, 10) : -1;
}

int t_ring_threads(int ring_fd, int *tids, int max)
{
	char buf[4096], *v = t_fdinfo_line(ring_fd, "Threads", buf, sizeof(buf));
	int n = 0;

	while (v && n < max) {
		char *end;
		long tid = strtol(v, &end, 10);

		if (end == v)
			break;
		tids[n++] = (int)tid;
		v = end;
	}
	return n;
}

int t_uring_init(struct t_uring *u, unsigned entries, unsigned flags)
{
	struct io_uring_params p;

	memset(u, 0, sizeof(*u));
	memset(&p, 0, sizeof(p));
	p.flags = flags;
	u->fd = syscall(__NR_io_uring_setup, entries, &p);
	if (u->fd < 0)
		return -errno;
	u->sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	u->cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	u->sqes_sz = p.sq_entries * sizeof(struct io_uring_sqe);
	u->sq_ptr = mmap(NULL, u->sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
			 u->fd, IORING_OFF_SQ_RING);
	u->cq_ptr = mmap(NULL, u->cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
			 u->fd, IORING_OFF_CQ_RING);
	u->sqes = mmap(NULL, u->sqes_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
		       u->fd, IORING_OFF_SQES);
	if (u->sq_ptr == MAP_FAILED || u->cq_ptr == MAP_FAILED ||
	    u->sqes == MAP_FAILED)
		t_fail("io_uring mmap: %s", t_errname(errno));
	u->sq_tail = (unsigned *)((char *)u->sq_ptr + p.sq_off.tail);
	u->sq_mask = (unsigned *)((char *)u->sq_ptr + p.sq_off.ring_mask);
	u->sq_array = (unsigned *)((char *)u->sq_ptr + p.sq_off.array);
	u->cq_head = (unsigned *)((char *)u->cq_ptr + p.cq_off.head);
	u->cq_tail = (unsigned *)((char *)u->cq_ptr + p.cq_off.tail);
	u->cq_mask = (unsigned *)((char *)u->cq_ptr + p.cq_off.ring_mask);
	u->tail = *u->sq_tail;
	return 0;
}

struct io_uring_sqe *t_uring_read(struct t_uring *u, int fd, void *buf,
				  unsigned len, unsigned long long off)
{
	unsigned idx = u->tail & *u->sq_mask;
	struct io_uring_sqe *sqe = &u->sqes[idx];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (unsigned long)buf;
	sqe->len = len;
	sqe->off = off;
	u->sq_array[idx] = idx;
	u->tail++;
	return sqe;
}

int t_uring_submit(struct t_uring *u, unsigned wait)
{
	unsigned n = u->tail - *u->sq_tail;
	int ret;

	/* Pairs with the kernel's load-acquire of the SQ tail. */
	__atomic_store_n(u->sq_tail, u->tail, __ATOMIC_RELEASE);
	ret = syscall(__NR_io_uring_enter, u->fd, n, wait,
		      wait ? IORING_ENTER_GETEVENTS : 0, NULL, 0);
	return ret < 0 ? -errno : ret;
}

void t_uring_exit(struct t_uring *u)
{
	munmap(u->sqes, u->sqes_sz);
	munmap(u->cq_ptr, u->cq_sz);
	munmap(u->sq_ptr, u->sq_sz);
	close(u->fd);
}

long t_vmpin_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}
