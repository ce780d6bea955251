/* SPDX-License-Identifier: MIT */
/*
 * sqpoll-reader: copy a file to stdout through a ring with an SQ thread,
 * making no ioctl per I/O.
 *
 *   sqpoll-reader [-d DEPTH] [-b BLOCKSIZE] [-i IDLE_MS] FILE > copy
 *
 * With AIORING_SETUP_SQTHREAD a kernel thread polls the SQ ring, so
 * publishing the SQ tail is the whole submission, and this program reaps
 * completions by looking at the CQ ring rather than waiting in the module.
 * Two things make that possible:
 *
 *  - Registered files. The SQ thread cannot look up this process's file
 *    descriptors, so FILE is registered as fixed file 0 and every SQE says
 *    AIORING_SQE_FIXED_FILE with fd 0.
 *  - Registered buffers. The DEPTH buffers are pinned once
 *    (aioring_register_buffers) and read into with READ_FIXED, so no
 *    request pins or unpins pages.
 *
 * The file is read in BLOCKSIZE chunks, DEPTH at a time, and written to
 * stdout in order. The counters from aioring_get_stats() are printed on
 * stderr: while the data streams, "enter calls" stays 0.
 *
 * Then the thread is left alone for longer than IDLE_MS: it sets
 * AIORING_SQ_NEED_WAKEUP in the SQ ring flags and sleeps. One more request
 * shows what aioring_submit() does about that: it sees the flag and makes
 * exactly one ENTER, with AIORING_ENTER_SQ_WAKEUP, and the thread counts
 * one wakeup.
 *
 * Exit status: 0 on success, 1 on any error, 2 on bad arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "libaioring.h"

#define MAX_DEPTH	64
#define FILE_INDEX	0	/* FILE's slot in the registered file table */

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-d DEPTH] [-b BLOCKSIZE] [-i IDLE_MS] FILE > copy\n"
		"  -d DEPTH      reads in flight, 1..%d (default 8)\n"
		"  -b BLOCKSIZE  bytes per read, 512..1048576 (default 65536)\n"
		"  -i IDLE_MS    SQ thread idle time before it sleeps (default 1000)\n",
		prog, MAX_DEPTH);
	exit(2);
}

static unsigned parse_num(const char *prog, const char *s, unsigned lo,
			  unsigned hi)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
		usage(prog);
	return (unsigned)v;
}

static void write_all(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("sqpoll-reader: write");
			exit(1);
		}
		buf += n;
		len -= (size_t)n;
	}
}

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 +
	       (unsigned long long)ts.tv_nsec / 1000000;
}

/*
 * Reap one CQE without entering the module: spin on the CQ ring, yielding
 * the CPU now and then (to the SQ thread, on a small machine). The spin is
 * bounded by a generous timeout so a lost request is reported, not hung on.
 */
static int reap_spin(struct aioring *ring, struct aioring_cqe **cqe)
{
	time_t start = time(NULL);
	unsigned spins = 0;

	while (aioring_peek_cqe(ring, cqe) != 0) {
		if (++spins % 64 == 0) {
			sched_yield();
			if (time(NULL) - start > 30) {
				fprintf(stderr, "sqpoll-reader: no completion in 30 s\n");
				return -ETIME;
			}
		}
	}
	return 0;
}

/* Queue a READ_FIXED of chunk @chunk into buffer @slot. */
static void queue_chunk(struct aioring *ring, char *buf, unsigned slot,
			unsigned bs, unsigned long long chunk,
			unsigned long long size)
{
	unsigned long long off = chunk * bs;
	unsigned len = size - off < bs ? (unsigned)(size - off) : bs;
	struct aioring_sqe *sqe;

	/*
	 * The SQ thread frees SQ slots when it has consumed a batch, which
	 * can be after the CQE of a request in that batch is visible: the
	 * ring may be full for a moment though fewer than sq_entries reads
	 * are in flight. Wait for the thread (waking it if it sleeps).
	 */
	while (!(sqe = aioring_get_sqe(ring))) {
		int ret = aioring_submit(ring);

		if (ret < 0) {
			fprintf(stderr, "sqpoll-reader: submit: %s\n", strerror(-ret));
			exit(1);
		}
		sched_yield();
	}

	/* fd is the registered file's index, because of FIXED_FILE. */
	aioring_prep_read_fixed(sqe, FILE_INDEX, buf, len, off, (int)slot);
	sqe->flags |= AIORING_SQE_FIXED_FILE;
	aioring_sqe_set_data64(sqe, chunk);
}

int main(int argc, char **argv)
{
	unsigned depth = 8, bs = 65536, idle_ms = 1000;
	struct aioring_stats st0, st1, st2;
	struct aioring_cqe *nop_cqe;
	struct aioring_params p;
	struct aioring ring;
	struct iovec iov[MAX_DEPTH];
	int res[MAX_DEPTH];
	char *mem;
	struct stat sb;
	unsigned long long nchunks, next_queue = 0, next_write = 0;
	unsigned long long t0, waited_ms;
	unsigned i;
	int fd, opt, ret;

	while ((opt = getopt(argc, argv, "d:b:i:")) != -1) {
		switch (opt) {
		case 'd':
			depth = parse_num(argv[0], optarg, 1, MAX_DEPTH);
			break;
		case 'b':
			bs = parse_num(argv[0], optarg, 512, 1 << 20);
			break;
		case 'i':
			idle_ms = parse_num(argv[0], optarg, 1, 60000);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc - 1)
		usage(argv[0]);

	fd = open(argv[optind], O_RDONLY);
	if (fd < 0 || fstat(fd, &sb)) {
		perror(argv[optind]);
		return 1;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(stderr, "sqpoll-reader: %s is not a regular file\n", argv[optind]);
		return 1;
	}
	nchunks = ((unsigned long long)sb.st_size + bs - 1) / bs;

	if (posix_memalign((void **)&mem, 4096, (size_t)depth * bs)) {
		fprintf(stderr, "sqpoll-reader: out of memory\n");
		return 1;
	}

	/* 1. A ring with an SQ thread that sleeps after idle_ms without work. */
	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_SQTHREAD;
	p.sq_thread_idle = idle_ms;
	ret = aioring_queue_init_params(depth, &ring, &p);
	if (ret < 0) {
		fprintf(stderr, "sqpoll-reader: aioring_queue_init_params: %s\n",
			strerror(-ret));
		return 1;
	}

	/* 2. Register FILE as fixed file 0 and the buffers as 0..depth-1. */
	ret = aioring_register_files(&ring, &fd, 1);
	if (ret < 0) {
		fprintf(stderr, "sqpoll-reader: aioring_register_files: %s\n",
			strerror(-ret));
		return 1;
	}
	for (i = 0; i < depth; i++) {
		iov[i].iov_base = mem + (size_t)i * bs;
		iov[i].iov_len = bs;
	}
	ret = aioring_register_buffers(&ring, iov, depth);
	if (ret < 0) {
		/* -ENOMEM: over RLIMIT_MEMLOCK (ulimit -l); try a smaller -d/-b. */
		fprintf(stderr, "sqpoll-reader: aioring_register_buffers: %s\n",
			strerror(-ret));
		return 1;
	}

	if (aioring_get_stats(&ring, &st0) < 0) {
		fprintf(stderr, "sqpoll-reader: aioring_get_stats failed\n");
		return 1;
	}

	/*
	 * 3. Stream the file. Chunk c always uses buffer c % depth, so the
	 * buffer of the next chunk to write is known. While the thread is
	 * awake, aioring_submit() only publishes the SQ tail: no ioctl. If
	 * the thread went to sleep (NEED_WAKEUP) it would make one ENTER to
	 * wake it, and that would show in the counters below.
	 */
	for (i = 0; i < depth && next_queue < nchunks; i++, next_queue++)
		queue_chunk(&ring, iov[i].iov_base, i, bs, next_queue,
			    (unsigned long long)sb.st_size);
	for (i = 0; i < depth; i++)
		res[i] = -1;
	while (next_write < nchunks) {
		struct aioring_cqe *cqe;
		unsigned long long chunk;

		ret = aioring_submit(&ring);
		if (ret < 0) {
			fprintf(stderr, "sqpoll-reader: submit: %s\n", strerror(-ret));
			return 1;
		}
		if (reap_spin(&ring, &cqe))
			return 1;
		chunk = cqe->user_data;
		if (cqe->res < 0) {
			fprintf(stderr, "sqpoll-reader: read of chunk %llu: %s\n",
				chunk, strerror(-cqe->res));
			return 1;
		}
		res[chunk % depth] = cqe->res;
		aioring_cqe_seen(&ring, cqe);

		/* Write what is complete in file order; refill those buffers. */
		while (next_write < nchunks && res[next_write % depth] >= 0) {
			unsigned slot = (unsigned)(next_write % depth);
			unsigned long long off = next_write * bs;
			unsigned want = sb.st_size - off < bs ?
					(unsigned)(sb.st_size - off) : bs;

			if ((unsigned)res[slot] != want) {
				fprintf(stderr, "sqpoll-reader: short read at %llu: %d of %u\n",
					off, res[slot], want);
				return 1;
			}
			write_all(iov[slot].iov_base, want);
			res[slot] = -1;
			next_write++;
			if (next_queue < nchunks)
				queue_chunk(&ring, iov[slot].iov_base, slot, bs,
					    next_queue++, (unsigned long long)sb.st_size);
		}
	}
	if (aioring_get_stats(&ring, &st1) < 0) {
		fprintf(stderr, "sqpoll-reader: aioring_get_stats failed\n");
		return 1;
	}
	fprintf(stderr, "sqpoll-reader: %llu reads of up to %u bytes at depth %u, %lld bytes\n",
		nchunks, bs, depth, (long long)sb.st_size);
	fprintf(stderr, "sqpoll-reader: streaming: %llu enter calls, %llu SQ thread wakeups\n",
		st1.enter_calls - st0.enter_calls,
		st1.sq_thread_wakeups - st0.sq_thread_wakeups);

	/*
	 * 4. Let the thread go idle: it sets NEED_WAKEUP and sleeps. The flag
	 * lives in the SQ ring, where aioring_submit() reads it too.
	 */
	t0 = now_ms();
	while ((waited_ms = now_ms() - t0) < 4ULL * idle_ms + 2000) {
		if (AIORING_READ_ONCE(*ring.sq.kflags) & AIORING_SQ_NEED_WAKEUP)
			break;
		usleep(10000);
	}
	if (!(AIORING_READ_ONCE(*ring.sq.kflags) & AIORING_SQ_NEED_WAKEUP)) {
		fprintf(stderr, "sqpoll-reader: the SQ thread never set NEED_WAKEUP\n");
		return 1;
	}
	fprintf(stderr, "sqpoll-reader: SQ thread idle: NEED_WAKEUP seen %llu ms after the last read\n",
		waited_ms);

	/* 5. One NOP: aioring_submit() must wake the thread, with one ENTER. */
	aioring_prep_nop(aioring_get_sqe(&ring));
	ret = aioring_submit(&ring);
	if (ret != 1) {
		fprintf(stderr, "sqpoll-reader: submit after idle: %d\n", ret);
		return 1;
	}
	if (reap_spin(&ring, &nop_cqe))
		return 1;
	if (nop_cqe->res != 0) {
		fprintf(stderr, "sqpoll-reader: NOP: %d\n", nop_cqe->res);
		return 1;
	}
	aioring_cqe_seen(&ring, nop_cqe);
	if (aioring_get_stats(&ring, &st2) < 0) {
		fprintf(stderr, "sqpoll-reader: aioring_get_stats failed\n");
		return 1;
	}
	fprintf(stderr, "sqpoll-reader: after idle: %llu enter calls (SQ_WAKEUP), %llu SQ thread wakeups\n",
		st2.enter_calls - st1.enter_calls,
		st2.sq_thread_wakeups - st1.sq_thread_wakeups);

	/* 6. Unmapping and closing also unregisters and stops the thread. */
	aioring_queue_exit(&ring);
	close(fd);
	free(mem);
	return 0;
}
