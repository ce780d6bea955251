/* SPDX-License-Identifier: MIT */
/*
 * Description: io_destroy racing io_getevents and io_submit in other
 * threads must return, and so must they, with -EINVAL once the context is
 * gone; nothing may be queued after io_destroy returned; a thread
 * cancelled while it waits in io_getevents must not keep io_destroy
 * waiting.
 *
 * Each round sets up a context, starts waiters (blocking, zero-timeout
 * polling and short-timeout io_getevents) and submitters (4 KB reads of a
 * file in a loop), lets them run for a random moment and destroys the
 * context from the main thread. Rounds run until ROUNDS or SECONDS pass; a
 * watchdog fails the test if any round takes longer than 30 s (a hang).
 *
 * For the libaio shim (LD_PRELOAD=libaioring-aio.so, guest test
 * libaio-destroy-race). It calls io_* on a context after io_destroy, which
 * the shim answers with -EINVAL; with libaio on the kernel's AIO that can
 * fault instead, since libaio reads the (then unmapped) ring in
 * io_getevents, so this is not run against the kernel.
 *
 * Usage: aio-destroy-race DIR [ROUNDS [SECONDS [CANCEL]]]: a cancelled
 * waiter every CANCEL rounds (default 8, 0: never). Exit 0 pass, 1 fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/aio_abi.h>

typedef struct io_context *io_context_t;
int io_setup(int maxevents, io_context_t *ctxp);
int io_destroy(io_context_t ctx);
int io_submit(io_context_t ctx, long nr, struct iocb *ios[]);
int io_getevents(io_context_t ctx, long min_nr, long nr, struct io_event *events,
		 struct timespec *timeout);

#define WAITERS		3
#define SUBMITTERS	2

static io_context_t ctx;
static int fd;
static volatile int destroyed;	/* io_destroy has returned */
static volatile int failed;
static long submitted, reaped;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static void fail(const char *what, long v)
{
	printf("FAIL: %s (%ld)\n", what, v);
	failed = 1;
}

static void count(long *n, long v)
{
	pthread_mutex_lock(&count_lock);
	*n += v;
	pthread_mutex_unlock(&count_lock);
}

/* mode 0: blocking, 1: zero timeout (the shim's shortcut), 2: 1 ms */
static void *waiter(void *arg)
{
	long mode = (long)arg;
	struct io_event ev[8];

	for (;;) {
		struct timespec ts = { 0, mode == 2 ? 1000000 : 0 };
		int ret = io_getevents(ctx, mode ? 0 : 1, 8, ev, mode ? &ts : NULL);

		if (ret == -EINVAL)
			return NULL;
		if (ret < 0) {
			fail("io_getevents", ret);
			return NULL;
		}
		count(&reaped, ret);
		if (mode == 1 && !ret)
			sched_yield();
	}
}

static void *submitter(void *arg)
{
	char *buf = malloc(4096);
	struct iocb cb, *cbp = &cb;

	(void)arg;
	for (;;) {
		int late = destroyed, ret;

		memset(&cb, 0, sizeof(cb));
		cb.aio_lio_opcode = IOCB_CMD_PREAD;
		cb.aio_fildes = (uint32_t)fd;
		cb.aio_buf = (uint64_t)(uintptr_t)buf;
		cb.aio_nbytes = 4096;
		ret = io_submit(ctx, 1, &cbp);
		if (ret == -EINVAL)
			break;
		if (ret == 1 && late) {
			fail("io_submit queued I/O after io_destroy returned", ret);
			break;
		}
		if (ret == 1)
			count(&submitted, 1);
		else if (ret == -EAGAIN)
			sched_yield();
		else {
			fail("io_submit", ret);
			break;
		}
	}
	free(buf);
	return NULL;
}

/* Waits in io_getevents until cancelled, which acts after it returns. */
static void *cancelled_waiter(void *arg)
{
	struct io_event ev;

	(void)arg;
	for (;;) {
		io_getevents(ctx, 1, 1, &ev, NULL);
		pthread_testcancel();
	}
	return NULL;
}

static void watchdog(int sig)
{
	static const char msg[] = "FAIL: a round took over 30 s (hang)\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0) {
		/* nothing to do: we exit 1 anyway */
	}
	_exit(1);
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	long rounds = argc > 2 ? atol(argv[2]) : 200;
	long secs = argc > 3 ? atol(argv[3]) : 20;
	long cancel = argc > 4 ? atol(argv[4]) : 8;
	char path[4096], buf[4096];
	int64_t start = now_ms();
	long r;
	int ret;

	snprintf(path, sizeof(path), "%s/aio-destroy-race.dat", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	unlink(path);
	memset(buf, 'r', sizeof(buf));
	if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return 1;
	signal(SIGALRM, watchdog);
	srand(1);

	for (r = 0; r < rounds && now_ms() - start < secs * 1000 && !failed; r++) {
		pthread_t w[WAITERS], s[SUBMITTERS], cw;
		int i;

		alarm(30);
		ctx = NULL;
		ret = io_setup(64, &ctx);
		if (ret) {
			fail("io_setup", ret);
			break;
		}
		destroyed = 0;
		for (i = 0; i < WAITERS; i++)
			pthread_create(&w[i], NULL, waiter, (void *)(long)i);
		for (i = 0; i < SUBMITTERS; i++)
			pthread_create(&s[i], NULL, submitter, NULL);
		/* every CANCEL rounds: a waiter cancelled in io_getevents */
		if (cancel && r % cancel == 0) {
			pthread_create(&cw, NULL, cancelled_waiter, NULL);
			usleep(2000);
			pthread_cancel(cw);
		}
		usleep((unsigned)(rand() % 3000));
		ret = io_destroy(ctx);
		destroyed = 1;
		if (ret)
			fail("io_destroy", ret);
		for (i = 0; i < WAITERS; i++)
			pthread_join(w[i], NULL);
		for (i = 0; i < SUBMITTERS; i++)
			pthread_join(s[i], NULL);
		if (cancel && r % cancel == 0)
			pthread_join(cw, NULL);
		alarm(0);
	}
	printf("aio-destroy-race: %ld rounds in %ld ms, %ld reads submitted, %ld events reaped\n",
	       r, (long)(now_ms() - start), submitted, reaped);
	if (reaped > submitted)
		fail("more events than requests", reaped - submitted);
	if (!failed && r < 10)
		fail("fewer than 10 rounds ran", r);
	printf("aio-destroy-race: %s\n", failed ? "FAILED" : "all passed");
	return failed;
}
