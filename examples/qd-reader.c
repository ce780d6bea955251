/* SPDX-License-Identifier: MIT */
/*
 * qd-reader: random reads at a fixed queue depth, the shape of most
 * storage benchmarks.
 *
 *   qd-reader [-d DEPTH] [-n COUNT] [-b BLOCKSIZE] [-D] FILE
 *
 * Reads COUNT blocks of BLOCKSIZE bytes at random block-aligned offsets of
 * FILE (opened with O_DIRECT when -D is given), keeping DEPTH reads in
 * flight until the last ones, and reports IOPS, throughput and the latency
 * of each read (from its submission to the moment its CQE was seen).
 *
 * The interesting part is the refill loop in run(): every completion frees
 * a slot that is filled again at once, and the refills of one round go to
 * the module in the same ENTER that waits for the next completion, so a
 * steady state costs one ioctl per round, not one per read.
 *
 * Exit status: 0 when every read returned a full block, 1 on any error,
 * 2 on bad arguments.
 */
#define _GNU_SOURCE		/* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "libaioring.h"

#define MAX_DEPTH	1024

/* One in-flight read: which buffer it uses and when it was submitted. */
struct slot {
	char *buf;
	unsigned long long t_submit;	/* ns, CLOCK_MONOTONIC */
};

struct job {
	int fd;
	unsigned depth;
	unsigned long long count;	/* reads wanted */
	unsigned bs;
	unsigned long long nblocks;	/* blocks of bs in the file */
	unsigned long long rng;		/* xorshift64 state */

	unsigned long long issued, done, errors;
	unsigned long long lat_min, lat_max, lat_sum;	/* ns */
};

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-d DEPTH] [-n COUNT] [-b BLOCKSIZE] [-D] FILE\n"
		"  -d DEPTH      reads kept in flight, 1..%d (default 32)\n"
		"  -n COUNT      reads in total (default 10000)\n"
		"  -b BLOCKSIZE  bytes per read, a multiple of 512 (default 4096)\n"
		"  -D            open FILE with O_DIRECT\n",
		prog, MAX_DEPTH);
	exit(2);
}

/* Parse a positive number, or show the usage. */
static unsigned long long parse_num(const char *prog, const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || !v || s[0] == '-')
		usage(prog);
	return v;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL +
	       (unsigned long long)ts.tv_nsec;
}

/* xorshift64: cheap, and the same sequence on every run. */
static unsigned long long next_block(struct job *job)
{
	unsigned long long x = job->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	job->rng = x;
	return x % job->nblocks;
}

/* Take an SQE and point it at a fresh random block, reading into @slot. */
static void queue_read(struct aioring *ring, struct job *job,
		       struct slot *slots, unsigned slot)
{
	struct aioring_sqe *sqe = aioring_get_sqe(ring);

	/*
	 * Never NULL here: at most depth reads are outstanding and the SQ
	 * ring has at least depth entries, each freed when the module
	 * consumed it.
	 */
	aioring_prep_read(sqe, job->fd, slots[slot].buf, job->bs,
			  next_block(job) * job->bs);
	aioring_sqe_set_data64(sqe, slot);
	slots[slot].t_submit = now_ns();
	job->issued++;
}

/* Account one CQE and, while reads remain, refill its slot. */
static void complete_one(struct aioring *ring, struct job *job,
			 struct slot *slots, const struct aioring_cqe *cqe)
{
	unsigned slot = (unsigned)cqe->user_data;
	unsigned long long lat = now_ns() - slots[slot].t_submit;

	if (cqe->res != (int)job->bs) {
		if (job->errors++ < 5)
			fprintf(stderr, "qd-reader: read returned %d%s%s\n",
				cqe->res, cqe->res < 0 ? ": " : " (short)",
				cqe->res < 0 ? strerror(-cqe->res) : "");
	}
	job->done++;
	job->lat_sum += lat;
	if (lat < job->lat_min)
		job->lat_min = lat;
	if (lat > job->lat_max)
		job->lat_max = lat;

	if (job->issued < job->count)
		queue_read(ring, job, slots, slot);
}

/*
 * The refill loop. Start with depth reads queued; then, until every read
 * has completed:
 *
 *  1. aioring_submit_and_wait(ring, 1) hands the module everything queued
 *     since the last round and waits for at least one completion, in one
 *     AIORING_IOC_ENTER.
 *  2. Drain every CQE that is ready (aioring_peek_cqe never blocks). Each
 *     one frees a slot, which is refilled at once with a new read: the
 *     SQE is prepared now and submitted by step 1 of the next round.
 *
 * So the queue never drops below depth minus what one round completed,
 * and the number of ENTERs grows with rounds, not reads: the busier the
 * device, the more completions one round reaps.
 */
static int run(struct aioring *ring, struct job *job, struct slot *slots)
{
	unsigned i;
	int ret;

	for (i = 0; i < job->depth && job->issued < job->count; i++)
		queue_read(ring, job, slots, i);

	while (job->done < job->count) {
		struct aioring_cqe *cqe;

		ret = aioring_submit_and_wait(ring, 1);
		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			fprintf(stderr, "qd-reader: submit: %s\n", strerror(-ret));
			return ret;
		}
		while (aioring_peek_cqe(ring, &cqe) == 0) {
			complete_one(ring, job, slots, cqe);
			aioring_cqe_seen(ring, cqe);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct job job = { .depth = 32, .count = 10000, .bs = 4096,
			   .rng = 0x9e3779b97f4a7c15ULL, .lat_min = ~0ULL };
	struct aioring_stats st0, st1;
	struct aioring ring;
	struct slot *slots;
	char *mem;
	struct stat sb;
	int direct = 0, opt, ret;
	unsigned long long t0, elapsed;
	unsigned long long v;
	unsigned i;
	double secs;

	while ((opt = getopt(argc, argv, "d:n:b:D")) != -1) {
		switch (opt) {
		case 'd':
			v = parse_num(argv[0], optarg);
			if (v > MAX_DEPTH)
				usage(argv[0]);
			job.depth = (unsigned)v;
			break;
		case 'n':
			job.count = parse_num(argv[0], optarg);
			break;
		case 'b':
			v = parse_num(argv[0], optarg);
			if (v % 512 || v > (1U << 30))
				usage(argv[0]);
			job.bs = (unsigned)v;
			break;
		case 'D':
			direct = 1;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc - 1)
		usage(argv[0]);

	job.fd = open(argv[optind], O_RDONLY | (direct ? O_DIRECT : 0));
	if (job.fd < 0 || fstat(job.fd, &sb)) {
		perror(argv[optind]);
		return 1;
	}
	job.nblocks = (unsigned long long)sb.st_size / job.bs;
	if (!job.nblocks) {
		fprintf(stderr, "qd-reader: %s is smaller than one block of %u bytes\n",
			argv[optind], job.bs);
		return 1;
	}

	/* O_DIRECT wants aligned buffers; 4 KiB suits every device here. */
	slots = calloc(job.depth, sizeof(*slots));
	if (!slots || posix_memalign((void **)&mem, 4096,
				     (size_t)job.depth * job.bs)) {
		fprintf(stderr, "qd-reader: out of memory\n");
		return 1;
	}
	for (i = 0; i < job.depth; i++)
		slots[i].buf = mem + (size_t)i * job.bs;

	/*
	 * An SQ of depth entries (rounded up to a power of two) and the
	 * default CQ of twice that: the CQ can never overflow, because at
	 * most depth reads are outstanding.
	 */
	ret = aioring_queue_init(job.depth, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "qd-reader: aioring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	if (aioring_get_stats(&ring, &st0) < 0)
		memset(&st0, 0, sizeof(st0));

	t0 = now_ns();
	ret = run(&ring, &job, slots);
	elapsed = now_ns() - t0;
	if (aioring_get_stats(&ring, &st1) < 0)
		memset(&st1, 0, sizeof(st1));
	aioring_queue_exit(&ring);
	close(job.fd);
	if (ret < 0)
		return 1;

	secs = elapsed ? (double)elapsed / 1e9 : 1e-9;
	printf("qd-reader: %llu reads of %u bytes at depth %u (%s) in %.3f s\n",
	       job.done, job.bs, job.depth, direct ? "O_DIRECT" : "buffered", secs);
	printf("qd-reader: %.0f IOPS, %.1f MiB/s, latency usec min %.1f avg %.1f max %.1f\n",
	       (double)job.done / secs,
	       (double)job.done * job.bs / secs / (1024 * 1024),
	       (double)job.lat_min / 1e3,
	       (double)job.lat_sum / (double)job.done / 1e3,
	       (double)job.lat_max / 1e3);
	printf("qd-reader: %llu ENTER calls (%.2f per read), %llu errors\n",
	       st1.enter_calls - st0.enter_calls,
	       (double)(st1.enter_calls - st0.enter_calls) / (double)job.done,
	       job.errors);
	free(mem);
	free(slots);
	return job.errors ? 1 : 0;
}
