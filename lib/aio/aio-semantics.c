/* SPDX-License-Identifier: MIT */
/*
 * Description: the libaio behaviour programs rely on, checked the same way
 * against the kernel's AIO (on the host, the oracle) and against the libaio
 * shim (in the guest, LD_PRELOAD=libaioring-aio.so).
 *
 * Built dynamically against libaio.so.1 by lab/libaio.sh; libaio.h is not
 * needed (the kernel's <linux/aio_abi.h> has the structures). Every
 * expected value here was first measured on the kernel: io_submit's
 * errors for bad iocbs (bad opcode -EINVAL, bad fd -EBADF, wrong access
 * mode -EBADF, RESFD on a file that is not an eventfd -EINVAL, on a closed
 * fd -EBADF, fsync with a buffer -EINVAL, negative offset -EINVAL,
 * unknown RWF flag -EOPNOTSUPP), a NULL buffer with a length being an
 * event with res -EFAULT (not an io_submit error), the count queued
 * before the first bad iocb, -EAGAIN once the context is full of
 * unreaped events and no event lost, aio_data and the iocb address in
 * every event, the RESFD eventfd signalled once the event is there,
 * io_getevents' argument checks and timeout, io_destroy waiting for
 * requests in flight, several threads sharing one context, and, where
 * IOCB_CMD_POLL works, io_cancel of a poll (-EINPROGRESS, then an event
 * with res 0).
 *
 * Exit 0 pass, 1 fail. Prints one line per check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/aio_abi.h>

typedef struct io_context *io_context_t;
int io_setup(int maxevents, io_context_t *ctxp);
int io_destroy(io_context_t ctx);
int io_submit(io_context_t ctx, long nr, struct iocb *ios[]);
int io_cancel(io_context_t ctx, struct iocb *iocb, struct io_event *evt);
int io_getevents(io_context_t ctx, long min_nr, long nr, struct io_event *events,
		 struct timespec *timeout);
int io_pgetevents(io_context_t ctx, long min_nr, long nr, struct io_event *events,
		  struct timespec *timeout, sigset_t *sigmask);

static int failed;

static void check(int ok, const char *what, long got, long want)
{
	printf("%s: %s (got %ld, want %ld)\n", ok ? "ok" : "FAIL", what, got, want);
	if (!ok)
		failed = 1;
}

#define EXPECT(what, got, want) do {					\
	long __g = (long)(got), __w = (long)(want);			\
	check(__g == __w, what, __g, __w);				\
} while (0)

static void prep(struct iocb *cb, int op, int fd, void *buf, size_t n, long long off)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_lio_opcode = (uint16_t)op;
	cb->aio_fildes = (uint32_t)fd;
	cb->aio_buf = (uint64_t)(uintptr_t)buf;
	cb->aio_nbytes = n;
	cb->aio_offset = off;
}

static int submit1(io_context_t ctx, struct iocb *cb)
{
	return io_submit(ctx, 1, &cb);
}

static struct timespec secs(long s)
{
	struct timespec ts = { s, 0 };

	return ts;
}

/* submit one iocb, wait for its event, return io_submit's error or res */
static long sync_io(io_context_t ctx, struct iocb *cb)
{
	struct io_event ev;
	struct timespec ts = secs(10);
	int ret = submit1(ctx, cb);

	if (ret != 1)
		return ret;
	ret = io_getevents(ctx, 1, 1, &ev, &ts);
	if (ret != 1)
		return -1000 + ret;
	if (ev.obj != (uint64_t)(uintptr_t)cb)
		return -2000;
	return (long)ev.res;
}

static io_context_t mt_ctx;
static int mt_fd;

static void *mt_worker(void *arg)
{
	char buf[512];
	long done = 0;
	int i;

	(void)arg;
	for (i = 0; i < 300; i++) {
		struct iocb cb;
		struct io_event ev[4];
		struct timespec ts = secs(10);
		int ret;

		prep(&cb, IOCB_CMD_PREAD, mt_fd, buf, sizeof(buf), 0);
		if (submit1(mt_ctx, &cb) != 1)
			break;
		/* Any thread's event may come back: count them all. */
		ret = io_getevents(mt_ctx, 1, 1, ev, &ts);
		if (ret != 1)
			break;
		done++;
	}
	return (void *)done;
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
	char path[4096], buf[4096], buf2[4096];
	io_context_t ctx = NULL, ctx2 = (io_context_t)1;
	struct iocb cb[8], *cbs[8];
	struct io_event ev[512];
	struct timespec ts, zero = { 0, 0 };
	int fd, wfd, efd, i, n, ret;

	snprintf(path, sizeof(path), "%s/aio-semantics.dat", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	wfd = open(path, O_WRONLY);
	if (fd < 0 || wfd < 0) {
		perror(path);
		return 1;
	}
	memset(buf, 'a', sizeof(buf));
	if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return 1;
	for (i = 0; i < 8; i++)
		cbs[i] = &cb[i];

	EXPECT("io_setup(0)", io_setup(0, &ctx), -EINVAL);
	EXPECT("io_setup(1) with *ctxp != 0", io_setup(1, &ctx2), -EINVAL);
	{
		/* put_user() of the context and of aio_key fail on read-only memory */
		void *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (ro == MAP_FAILED || mprotect(ro, 4096, PROT_READ))
			return 1;
		EXPECT("io_setup with a read-only ctxp", io_setup(4, (io_context_t *)ro), -EFAULT);
		munmap(ro, 4096);
	}
	EXPECT("io_setup(4)", io_setup(4, &ctx), 0);
	{
		struct iocb *rocb = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (rocb == MAP_FAILED)
			return 1;
		prep(rocb, IOCB_CMD_PREAD, fd, buf, 512, 0);
		rocb->aio_key = 1;
		if (mprotect(rocb, 4096, PROT_READ))
			return 1;
		EXPECT("io_submit of a read-only iocb", submit1(ctx, rocb), -EFAULT);
		munmap(rocb, 4096);
	}

	EXPECT("io_submit bad context", io_submit((io_context_t)-1L, 1, cbs), -EINVAL);
	EXPECT("io_submit nr < 0", io_submit(ctx, -1, cbs), -EINVAL);
	EXPECT("io_submit nr 0", io_submit(ctx, 0, cbs), 0);
	EXPECT("io_submit NULL array", io_submit(ctx, 1, NULL), -EFAULT);

	prep(&cb[0], 42, fd, buf, 512, 0);
	EXPECT("bad opcode", submit1(ctx, &cb[0]), -EINVAL);
	prep(&cb[0], IOCB_CMD_PREAD, 9999, buf, 512, 0);
	EXPECT("bad fd", submit1(ctx, &cb[0]), -EBADF);
	/* libaio returns -errno and leaves errno alone */
	errno = 4242;
	ret = submit1(ctx, &cb[0]);
	EXPECT("errno untouched by a failing io_submit", errno, 4242);
	prep(&cb[0], IOCB_CMD_PREAD, wfd, buf, 512, 0);
	EXPECT("read on O_WRONLY fd", submit1(ctx, &cb[0]), -EBADF);
	prep(&cb[0], IOCB_CMD_PREAD, fd, buf, 512, 0);
	cb[0].aio_flags = IOCB_FLAG_RESFD;
	cb[0].aio_resfd = (uint32_t)fd;
	EXPECT("RESFD not an eventfd", submit1(ctx, &cb[0]), -EINVAL);
	cb[0].aio_resfd = 9999;
	EXPECT("RESFD closed fd", submit1(ctx, &cb[0]), -EBADF);
	prep(&cb[0], IOCB_CMD_FSYNC, fd, buf, 0, 0);
	EXPECT("fsync with a buffer", submit1(ctx, &cb[0]), -EINVAL);
	prep(&cb[0], IOCB_CMD_PREAD, fd, buf, 512, -1);
	EXPECT("negative offset", submit1(ctx, &cb[0]), -EINVAL);
	prep(&cb[0], IOCB_CMD_PREAD, fd, buf, 512, 0);
	cb[0].aio_reserved2 = 1;
	EXPECT("aio_reserved2 set", submit1(ctx, &cb[0]), -EINVAL);
	prep(&cb[0], IOCB_CMD_PREAD, fd, buf, 512, 0);
	cb[0].aio_rw_flags = 1 << 30;
	EXPECT("unknown aio_rw_flags", submit1(ctx, &cb[0]), -EOPNOTSUPP);

	/* ioprio_check_cap(): class 5 does not exist, NONE has no level */
	prep(&cb[0], IOCB_CMD_PREAD, fd, buf, 512, 0);
	cb[0].aio_flags = IOCB_FLAG_IOPRIO;
	cb[0].aio_reqprio = 5 << 13;
	EXPECT("IOCB_FLAG_IOPRIO, class 5", submit1(ctx, &cb[0]), -EINVAL);
	cb[0].aio_reqprio = 3;
	EXPECT("IOCB_FLAG_IOPRIO, class NONE with a level", submit1(ctx, &cb[0]), -EINVAL);
	cb[0].aio_reqprio = (2 << 13) | 4;
	EXPECT("IOCB_FLAG_IOPRIO, best effort level 4", sync_io(ctx, &cb[0]), 512);

	/* copy_to_user() of the events fails: -EFAULT, and the event stays */
	prep(&cb[0], IOCB_CMD_PREAD, fd, buf, 512, 0);
	EXPECT("read for NULL events: io_submit", submit1(ctx, &cb[0]), 1);
	ts = secs(10);
	EXPECT("io_getevents into NULL events", io_getevents(ctx, 1, 1, NULL, &ts), -EFAULT);
	ts = secs(10);
	EXPECT("the event is still there", io_getevents(ctx, 1, 1, ev, &ts), 1);

	prep(&cb[0], IOCB_CMD_PREAD, fd, NULL, 512, 0);
	EXPECT("NULL buffer, 512 bytes: event res", sync_io(ctx, &cb[0]), -EFAULT);

	prep(&cb[0], IOCB_CMD_PREAD, fd, buf, 512, 0);
	prep(&cb[1], IOCB_CMD_PREAD, 9999, buf, 512, 0);
	prep(&cb[2], IOCB_CMD_PREAD, fd, buf2, 512, 0);
	EXPECT("good, bad fd, good: io_submit", io_submit(ctx, 3, cbs), 1);
	ts = secs(10);
	EXPECT("good, bad fd, good: events", io_getevents(ctx, 1, 8, ev, &ts), 1);
	ts.tv_sec = 0;
	ts.tv_nsec = 100 * 1000 * 1000;
	EXPECT("no event for the iocbs after the bad one", io_getevents(ctx, 1, 8, ev, &ts), 0);

	prep(&cb[0], IOCB_CMD_PREAD, fd, buf2, 100, 10);
	cb[0].aio_data = 0x1234567890abcdefULL;
	ret = submit1(ctx, &cb[0]);
	ts = secs(10);
	n = ret == 1 ? io_getevents(ctx, 1, 1, ev, &ts) : ret;
	EXPECT("aio_data: one event", n, 1);
	check(n == 1 && ev[0].data == 0x1234567890abcdefULL, "event.data is aio_data", n, 1);
	check(n == 1 && ev[0].obj == (uint64_t)(uintptr_t)&cb[0], "event.obj is the iocb", n, 1);
	check(n == 1 && ev[0].res == 100, "event.res is the byte count", n == 1 ? (long)ev[0].res : n, 100);

	{
		struct iovec iov[3] = { { buf2, 10 }, { buf2 + 100, 20 }, { buf2 + 200, 30 } };

		memset(buf2, 'b', sizeof(buf2));
		prep(&cb[0], IOCB_CMD_PWRITEV, fd, iov, 3, 1000);
		EXPECT("PWRITEV", sync_io(ctx, &cb[0]), 60);
		memset(buf2, 0, sizeof(buf2));
		prep(&cb[0], IOCB_CMD_PREADV, fd, iov, 3, 1000);
		EXPECT("PREADV", sync_io(ctx, &cb[0]), 60);
		check(buf2[0] == 'b' && buf2[229] == 'b' && buf2[50] == 0, "PREADV data", 0, 0);
		prep(&cb[0], IOCB_CMD_FDSYNC, fd, NULL, 0, 0);
		EXPECT("FDSYNC", sync_io(ctx, &cb[0]), 0);
		prep(&cb[0], IOCB_CMD_FSYNC, fd, NULL, 0, 0);
		EXPECT("FSYNC", sync_io(ctx, &cb[0]), 0);
		prep(&cb[0], IOCB_CMD_PWRITE, fd, "xyz", 3, 4093);
		cb[0].aio_rw_flags = RWF_DSYNC;
		EXPECT("PWRITE with RWF_DSYNC", sync_io(ctx, &cb[0]), 3);
	}

	efd = eventfd(0, 0);
	prep(&cb[0], IOCB_CMD_PREAD, fd, buf2, 512, 0);
	cb[0].aio_flags = IOCB_FLAG_RESFD;
	cb[0].aio_resfd = (uint32_t)efd;
	EXPECT("RESFD: io_submit", submit1(ctx, &cb[0]), 1);
	{
		uint64_t v = 0;

		EXPECT("RESFD: eventfd read", read(efd, &v, sizeof(v)), 8);
		EXPECT("RESFD: eventfd count", v, 1);
	}
	EXPECT("RESFD: the event is there when the eventfd is", io_getevents(ctx, 0, 1, ev, &zero), 1);

	/* Full: unreaped events count as in flight, and none is lost. */
	{
		static struct iocb many[600];
		int queued = 0;

		for (i = 0; i < 600; i++) {
			prep(&many[i], IOCB_CMD_PREAD, fd, buf2, 64, 0);
			many[i].aio_data = (uint64_t)i;
			ret = submit1(ctx, &many[i]);
			if (ret != 1)
				break;
			queued++;
		}
		check(queued >= 4 && queued < 600, "a context of 4 takes at least 4", queued, 4);
		EXPECT("then io_submit says", ret, -EAGAIN);
		/* aio_get_req() before the fd is looked at */
		prep(&cb[0], IOCB_CMD_PREAD, 9999, buf2, 64, 0);
		EXPECT("full context and a bad fd: io_submit", submit1(ctx, &cb[0]), -EAGAIN);
		n = 0;
		while (n < queued) {
			ts = secs(10);
			ret = io_getevents(ctx, 1, 512, ev, &ts);
			if (ret <= 0)
				break;
			for (i = 0; i < ret; i++)
				if (ev[i].obj != (uint64_t)(uintptr_t)&many[ev[i].data] ||
				    ev[i].res != 64)
					failed = 1;
			n += ret;
		}
		EXPECT("every queued request has its event", n, queued);
		EXPECT("and no more", io_getevents(ctx, 0, 512, ev, &zero), 0);
	}

	/* (with a zero timeout libaio answers 0 from the empty ring first) */
	ts = secs(1);
	EXPECT("io_getevents min_nr > nr", io_getevents(ctx, 2, 1, ev, &ts), -EINVAL);
	EXPECT("io_getevents min_nr > nr, zero timeout", io_getevents(ctx, 2, 1, ev, &zero), 0);
	EXPECT("io_getevents nr 0", io_getevents(ctx, 0, 0, ev, NULL), 0);
	{
		int64_t t0 = now_ms();

		ts.tv_sec = 0;
		ts.tv_nsec = 200 * 1000 * 1000;
		EXPECT("io_getevents timeout, nothing in flight", io_getevents(ctx, 1, 1, ev, &ts), 0);
		check(now_ms() - t0 >= 150, "it waited the timeout", (long)(now_ms() - t0), 200);
	}
	/* set_user_sigmask() fails before any waiting: no spinning to the timeout */
	ts.tv_sec = 0;
	ts.tv_nsec = 200 * 1000 * 1000;
	EXPECT("io_pgetevents with an unreadable sigmask",
	       io_pgetevents(ctx, 1, 1, ev, &ts, (sigset_t *)8), -EFAULT);

	/* Cancel: reads are not cancellable. */
	prep(&cb[0], IOCB_CMD_PREAD, fd, buf2, 512, 0);
	EXPECT("io_cancel of an iocb not in flight", io_cancel(ctx, &cb[0], &ev[0]), -EINVAL);

	/* Poll and io_cancel, where IOCB_CMD_POLL works. */
	{
		int p[2];

		if (pipe(p))
			return 1;
		prep(&cb[0], IOCB_CMD_POLL, p[0], (void *)(uintptr_t)POLLIN, 0, 0);
		ret = submit1(ctx, &cb[0]);
		if (ret == -EINVAL) {
			printf("skip: IOCB_CMD_POLL is not supported here\n");
		} else {
			EXPECT("poll: io_submit", ret, 1);
			EXPECT("poll: not ready", io_getevents(ctx, 0, 1, ev, &zero), 0);
			EXPECT("poll: io_cancel", io_cancel(ctx, &cb[0], &ev[0]), -EINPROGRESS);
			ts = secs(10);
			EXPECT("poll: cancelled poll's event", io_getevents(ctx, 1, 1, ev, &ts), 1);
			EXPECT("poll: its res", ev[0].res, 0);
			prep(&cb[0], IOCB_CMD_POLL, p[0], (void *)(uintptr_t)POLLIN, 0, 0);
			EXPECT("poll: io_submit again", submit1(ctx, &cb[0]), 1);
			if (write(p[1], "x", 1) != 1)
				return 1;
			ts = secs(10);
			EXPECT("poll: readable", io_getevents(ctx, 1, 1, ev, &ts), 1);
			EXPECT("poll: res is POLLIN", ev[0].res & POLLIN, POLLIN);
			EXPECT("poll: io_cancel after completion", io_cancel(ctx, &cb[0], &ev[0]), -EINVAL);
		}
		close(p[0]);
		close(p[1]);
	}

	/* Threads sharing one context. */
	{
		pthread_t t[4];
		long total = 0;
		void *r;

		int64_t t0 = now_ms();

		mt_ctx = ctx;
		mt_fd = fd;
		for (i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, mt_worker, NULL);
		for (i = 0; i < 4; i++) {
			pthread_join(t[i], &r);
			total += (long)r;
		}
		EXPECT("4 threads x 300 submit+getevents on one context", total, 1200);
		printf("info: that took %ld ms\n", (long)(now_ms() - t0));
	}

	/*
	 * After fork() the parent's context is not the child's, even once the
	 * child has its own (which may land in the same slot of the table).
	 */
	{
		pid_t pid;
		int st = 0;

		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			io_context_t c2 = NULL;
			int bad = 0;

			if (io_setup(4, &c2))
				_exit(2);
			prep(&cb[0], IOCB_CMD_PREAD, fd, buf2, 512, 0);
			if (submit1(ctx, &cb[0]) != -EINVAL)
				bad |= 4;
			if (io_getevents(ctx, 0, 1, ev, NULL) != -EINVAL)
				bad |= 8;
			if (sync_io(c2, &cb[0]) != 512)
				bad |= 16;
			if (io_destroy(ctx) != -EINVAL)
				bad |= 32;
			if (io_destroy(c2))
				bad |= 64;
			_exit(bad);
		}
		if (pid > 0)
			waitpid(pid, &st, 0);
		EXPECT("fork, io_setup in the child: the parent's context is -EINVAL there",
		       pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
	}

	/* io_destroy waits for what is in flight. */
	memset(buf2, 0, sizeof(buf2));
	prep(&cb[0], IOCB_CMD_PREAD, fd, buf2, 4096, 0);
	EXPECT("read before io_destroy", submit1(ctx, &cb[0]), 1);
	EXPECT("io_destroy", io_destroy(ctx), 0);
	check(buf2[0] == 'a' && buf2[4092] == 'a', "the read was done when io_destroy returned", 0, 0);
	EXPECT("io_destroy again", io_destroy(ctx), -EINVAL);
	EXPECT("io_submit after io_destroy", io_submit(ctx, 1, cbs), -EINVAL);

	unlink(path);
	printf("aio-semantics: %s\n", failed ? "FAILED" : "all passed");
	return failed;
}
