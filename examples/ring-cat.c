/* SPDX-License-Identifier: MIT */
/*
 * ring-cat: cat(1) through an aioring ring.
 *
 *   ring-cat FILE > copy
 *
 * Reads FILE in 4 KiB chunks with AIORING_OP_READ, keeping QD reads in
 * flight at once, writes the data to stdout in file order, and tells on
 * stderr what happened: ring sizes, features, SQEs, CQEs, ENTER calls and
 * bytes. The smallest complete libaioring program: set up a ring, get
 * SQEs, prepare them, submit, reap CQEs, tear down.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "libaioring.h"

#define CHUNK	4096
#define QD	4		/* reads in flight at once */

static void write_all(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("ring-cat: write");
			exit(1);
		}
		buf += n;
		len -= (size_t)n;
	}
}

int main(int argc, char **argv)
{
	static char bufs[QD][CHUNK];
	struct aioring ring;
	struct aioring_params p;
	unsigned long long sqes = 0, cqes = 0, enters = 0, bytes = 0;
	unsigned long long off = 0;
	struct stat st;
	int fd, ret, qd, eof = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 1;
	}
	/*
	 * Offsets only mean something for regular files. Anything else (a
	 * pipe, a tty) is read one chunk at a time at the file position,
	 * offset -1, like read(2).
	 */
	qd = S_ISREG(st.st_mode) ? QD : 1;

	/* 1. The ring: an SQ of 8 entries is plenty for QD reads. */
	memset(&p, 0, sizeof(p));
	ret = aioring_queue_init_params(8, &ring, &p);
	if (ret) {
		fprintf(stderr, "ring-cat: aioring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	fprintf(stderr, "ring-cat: ring sq_entries=%u cq_entries=%u features=0x%x%s%s%s%s%s%s%s%s\n",
		p.sq_entries, p.cq_entries, p.features,
		p.features & AIORING_FEAT_NODROP ? " NODROP" : "",
		p.features & AIORING_FEAT_SUBMIT_STABLE ? " SUBMIT_STABLE" : "",
		p.features & AIORING_FEAT_RW_CUR_POS ? " RW_CUR_POS" : "",
		p.features & AIORING_FEAT_MM_OWNED ? " MM_OWNED" : "",
		p.features & AIORING_FEAT_NONBLOCK ? " NONBLOCK" : "",
		p.features & AIORING_FEAT_WAITQ ? " WAITQ" : "",
		p.features & AIORING_FEAT_STATS ? " STATS" : "",
		p.features & AIORING_FEAT_REGISTER ? " REGISTER" : "");

	while (!eof) {
		int res[QD], i;

		/* 2. Prepare qd reads of consecutive chunks; user_data = index. */
		for (i = 0; i < qd; i++) {
			struct aioring_sqe *sqe = aioring_get_sqe(&ring);

			aioring_prep_read(sqe, fd, bufs[i], CHUNK,
					  qd > 1 ? off + (unsigned long long)i * CHUNK : -1ULL);
			aioring_sqe_set_data64(sqe, (unsigned)i);
		}

		/* 3. One ENTER submits them all and waits for all of them. */
		ret = aioring_submit_and_wait(&ring, (unsigned)qd);
		if (ret < 0) {
			fprintf(stderr, "ring-cat: submit: %s\n", strerror(-ret));
			return 1;
		}
		sqes += (unsigned)ret;
		enters++;

		/* 4. Reap: CQEs may come in any order, user_data says which. */
		for (i = 0; i < qd; i++) {
			struct aioring_cqe *cqe;

			ret = aioring_wait_cqe(&ring, &cqe);
			if (ret < 0) {
				fprintf(stderr, "ring-cat: wait: %s\n", strerror(-ret));
				return 1;
			}
			res[cqe->user_data] = cqe->res;
			aioring_cqe_seen(&ring, cqe);
			cqes++;
		}

		/*
		 * 5. Write in file order. A short read ends the batch: the
		 * next batch starts right after the bytes we got, and a read
		 * of 0 bytes is end of file.
		 */
		for (i = 0; i < qd; i++) {
			if (res[i] < 0) {
				fprintf(stderr, "ring-cat: read at %llu: %s\n",
					off, strerror(-res[i]));
				return 1;
			}
			write_all(bufs[i], (size_t)res[i]);
			off += (unsigned)res[i];
			bytes += (unsigned)res[i];
			if (res[i] < CHUNK) {
				eof = res[i] == 0;
				break;
			}
		}
	}

	fprintf(stderr, "ring-cat: %llu SQEs submitted, %llu CQEs reaped, %llu batches, %llu bytes\n",
		sqes, cqes, enters, bytes);
	/* 6. Unmap the rings and close the ring fd. */
	aioring_queue_exit(&ring);
	close(fd);
	return 0;
}
