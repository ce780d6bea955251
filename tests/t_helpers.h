/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for the aioring tests. Every test is one program for one
 * feature and exits T_EXIT_PASS, T_EXIT_FAIL or T_EXIT_SKIP. Failures name
 * the file and line, what was expected and what came.
 *
 * Environment: AIORING_TEST_DIR (default /tmp) is where test files go;
 * AIORING_TEST_SEED fixes the random seed (printed by t_seed_random()).
 */
#ifndef T_HELPERS_H
#define T_HELPERS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>

#include "aioring.h"
#include "libaioring.h"

#define T_EXIT_PASS	0
#define T_EXIT_FAIL	1
#define T_EXIT_SKIP	77

/* An address user copies must refuse (the x86-64 direct map). */
#define T_KERNEL_ADDR	0xffff888000000000ULL
/* Size of the kernel's sigset_t (_NSIG / 8), the only valid sigsz. */
#define T_KSIGSET_SIZE	8
/* Enough for any CQE a test waits for, even under TCG. */
#define T_WAIT_MS	10000

#define T_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Fatal: print "file:line: FAIL: ..." and exit(T_EXIT_FAIL). */
void t_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
#define t_fail(...)	t_fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* Non-fatal: print, count, and let the test go on to t_exit_status(). */
void t_error_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define t_error(...)	t_error_at(__FILE__, __LINE__, __VA_ARGS__)
extern unsigned t_nr_errors;
int t_exit_status(void);

/* Print "SKIP: ..." and exit(T_EXIT_SKIP). */
void t_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Progress note on stderr, prefixed by the test name. */
void t_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "EINVAL" for 22, "errno 1234" for unknown values. */
const char *t_errname(int err);
/* A CQE res or library return: "-EINVAL", "0", "4096". */
const char *t_resname(long long res);

/* Check a value. */
#define T_EQ(got, exp) do {						\
	long long _g = (long long)(got), _e = (long long)(exp);	\
	if (_g != _e)							\
		t_fail("%s: expected %lld (%s), got %lld",		\
		       #got, _e, #exp, _g);				\
} while (0)

#define T_EQ_HEX(got, exp) do {					\
	unsigned long long _g = (unsigned long long)(got);		\
	unsigned long long _e = (unsigned long long)(exp);		\
	if (_g != _e)							\
		t_fail("%s: expected 0x%llx (%s), got 0x%llx",		\
		       #got, _e, #exp, _g);				\
} while (0)

#define T_CHECK(cond) do {						\
	if (!(cond))							\
		t_fail("expected %s to hold", #cond);			\
} while (0)

/* A -errno style result (library return, CQE res). */
#define T_RES(got, exp) do {						\
	long long _g = (long long)(got), _e = (long long)(exp);	\
	if (_g != _e)							\
		t_fail("%s: expected %s, got %s", #got,		\
		       t_resname(_e), t_resname(_g));			\
} while (0)

/* A libc-style call that must fail with -1 and errno @err. */
#define T_SYSERR(call, err) do {					\
	long _r;							\
	int _e;								\
	errno = 0;							\
	_r = (long)(call);						\
	_e = errno;							\
	if (_r != -1 || _e != (err))					\
		t_fail("%s: expected -1/%s, got %ld/%s", #call,		\
		       t_errname(err), _r,				\
		       _r == -1 ? t_errname(_e) : "(no error)");	\
} while (0)

/* A libc-style call that must succeed (>= 0); evaluates to its result. */
#define T_SYSOK(call) ({						\
	long _r;							\
	errno = 0;							\
	_r = (long)(call);						\
	if (_r < 0)							\
		t_fail("%s: expected success, got %ld/%s", #call,	\
		       _r, t_errname(errno));				\
	_r;								\
})

/* Device and raw ioctl helpers. */
/* 0 if /dev/aioring opens; T_EXIT_SKIP if it is missing; else T_EXIT_FAIL. */
int t_probe_device(void);
/* t_probe_device() and exit with its status unless it is 0. */
void t_require_device(void);
int t_open_dev(void);
void t_params(struct aioring_params *p, unsigned sq_entries,
	      unsigned cq_entries);
/* Open and AIORING_IOC_SETUP; fails the test on error. */
int t_setup_fd(struct aioring_params *p, unsigned sq_entries,
	       unsigned cq_entries);
/* AIORING_IOC_ENTER; returns the ioctl's return value (errno on -1). */
int t_enter(int fd, unsigned to_submit, unsigned min_complete,
	    unsigned flags, unsigned long long timeout_ns);
int t_enter_args(int fd, struct aioring_enter_args *args);
size_t t_sq_ring_size(const struct aioring_params *p);
size_t t_cq_ring_size(const struct aioring_params *p);
size_t t_sqes_size(const struct aioring_params *p);
size_t t_page_round(size_t sz);

/* Library ring helpers; all fail the test on error. */
void t_ring_init(struct aioring *ring, unsigned entries, unsigned cq_entries);
struct aioring_sqe *t_get_sqe(struct aioring *ring);
/*
 * Publish prepared SQEs (write the SQ array, store-release the tail)
 * without entering the module; returns how many were published.
 */
unsigned t_publish(struct aioring *ring);
/* Submit what is prepared; the module must consume exactly @expected. */
void t_submit(struct aioring *ring, int expected);
/* Wait for @nr CQEs (T_WAIT_MS in all), copy them to @out and mark seen. */
void t_reap(struct aioring *ring, struct aioring_cqe *out, unsigned nr);
/* Reap one CQE and check its user_data and res. */
void t_expect_cqe(struct aioring *ring, uint64_t user_data, int res);
/* The CQ ring must be empty and no completion waiting in the module. */
void t_expect_no_cqe(struct aioring *ring);
/* A NOP round trip: the ring still works. */
void t_nop_roundtrip(struct aioring *ring, uint64_t user_data);

/* Random data. */
void t_seed_random(void);
uint64_t t_rand64(void);
/* Uniform in [0, n). */
uint64_t t_rand_below(uint64_t n);
void t_fill_random(void *buf, size_t len);

/* Files in the test directory, removed at exit of the creating process. */
const char *t_test_dir(void);
/*
 * Create a file of @size random bytes (contents copied to @data if not
 * NULL) and return an O_RDWR fd. @path receives its name.
 */
int t_create_file(size_t size, void *data, char *path, size_t pathlen);
/* Compare and on mismatch fail naming the first differing byte. */
void t_check_buf(const void *got, const void *exp, size_t len,
		 const char *what);
void *t_aligned_alloc(size_t align, size_t size);
/* A page that faults: unmapped (@prot_none 0) or PROT_NONE (1). */
void *t_fault_page(int prot_none);

/* Processes, signals and time. */
/* waitpid with a deadline; on timeout SIGKILL the child and fail. */
int t_wait_child(pid_t pid, unsigned timeout_ms);
/* t_wait_child() for 60 s (the per-test timeout less 60 s if longer). */
void t_expect_child_exit(pid_t pid, int code, const char *what);
void t_expect_child_signal(pid_t pid, int sig, const char *what);
/* Install @fn for @sig, with or without SA_RESTART. */
void t_signal(int sig, void (*fn)(int), int restart);
/* Arm a one-shot ITIMER_REAL of @ms milliseconds (0 disarms). */
void t_alarm_ms(unsigned ms);
uint64_t t_now_ns(void);
void t_sleep_ms(unsigned ms);

/* Ownership and teardown (the worker model's tests). */
/* The unprivileged user the attack tests run as, in the device's group. */
#define T_USER_UID	1000
#define T_DEVICE_GID	990
/*
 * Become @uid (gid @uid), keeping only the device's group as a
 * supplementary group: what an ordinary member of the aioring group is.
 */
void t_become_user(uid_t uid);
/* VmPin of this process in kB (/proc/self/status), or -1 if not shown. */
long t_vmpin_kb(void);
/* /sys/module/aioring/refcnt, or -1 if it cannot be read. */
long t_module_refcnt(void);
/* Wait up to @ms for the refcnt to be @want; returns the last value. */
long t_wait_refcnt(long want, unsigned ms);
/* Send @fd over the unix socket @sock (SCM_RIGHTS, one byte of data). */
void t_send_fd(int sock, int fd);
/*
 * @len bytes registered with a userfaultfd nobody serves: a read into them
 * blocks in the page fault until the fd is closed. Returns the region;
 * *@uffd gets the fd. Skips the test if userfaultfd is unavailable.
 */
void *t_uffd_region(size_t len, int *uffd);
/* A number from a ring's fdinfo ("Key:\tN"), -1 if absent. */
long t_fdinfo_num(int ring_fd, const char *key);
/* The TIDs on the fdinfo "Threads:" line; returns how many (max @max). */
int t_ring_threads(int ring_fd, int *tids, int max);

/*
 * A bare io_uring ring, for the attack tests' comparison lines: what
 * io_uring does against the same attack on this kernel. They log it and
 * never assert on it.
 */
struct io_uring_sqe;
struct t_uring {
	int			fd;
	unsigned		*sq_tail, *sq_mask, *sq_array;
	unsigned		*cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe	*sqes;
	void			*sq_ptr, *cq_ptr;
	size_t			sq_sz, cq_sz, sqes_sz;
	unsigned		tail;
};
/* 0, or -errno when io_uring is not available (disabled, seccomp, old). */
int t_uring_init(struct t_uring *u, unsigned entries, unsigned flags);
/* A zeroed SQE for a READ of @len bytes at @off of @fd into @buf. */
struct io_uring_sqe *t_uring_read(struct t_uring *u, int fd, void *buf,
				  unsigned len, unsigned long long off);
/* io_uring_enter(): submit what was prepared; returns its result. */
int t_uring_submit(struct t_uring *u, unsigned wait);
/* Unmap and close. */
void t_uring_exit(struct t_uring *u);

#endif /* T_HELPERS_H */
