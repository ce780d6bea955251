/* SPDX-License-Identifier: MIT */
/*
 * Description: one ring shared by four submitter threads, which take SQEs
 * and submit under a user-space mutex, and one reaper thread that waits
 * for and checks completions concurrently. NOPs and READs are mixed; each
 * READ's data is checked; every request completes exactly once.
 */
#include <pthread.h>

#include "t_helpers.h"

#define NR_THREADS	4
#define PER_THREAD	500
#define SLOTS		8		/* requests in flight per thread */
#define READ_LEN	1024
#define FILE_SIZE	(256 * 1024)

/* user_data: thread << 32 | seq << 8 | slot; seq counts from 1. */
#define UD(t, seq, slot)	(((__u64)(t) << 32) | ((__u64)(seq) << 8) | (slot))

struct thread_state {
	pthread_t thread;
	unsigned id;
	/* Slot buffers; busy[] is cleared by the reaper after checking. */
	unsigned char buf[SLOTS][READ_LEN];
	unsigned off[SLOTS];
	int is_read[SLOTS];
	int busy[SLOTS];
	unsigned char seen[PER_THREAD + 1];
};

static struct aioring ring;
/* Serialises get_sqe/prep/submit: the SQ side of the ring. */
static pthread_mutex_t sq_lock = PTHREAD_MUTEX_INITIALIZER;
static struct thread_state threads[NR_THREADS];
static unsigned char filedata[FILE_SIZE];
static int file_fd;

static void *submitter(void *arg)
{
	struct thread_state *ts = arg;
	unsigned seq = 1, slot = 0;
	uint64_t x = 0x12345678ULL * (ts->id + 1);

	while (seq <= PER_THREAD) {
		struct aioring_sqe *sqe;
		int ret;

		/* Wait for a free slot: the reaper frees them. */
		while (__atomic_load_n(&ts->busy[slot], __ATOMIC_ACQUIRE)) {
			slot = (slot + 1) % SLOTS;
			if (slot == 0)
				sched_yield();
		}
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ts->is_read[slot] = (x & 1) == 0;
		ts->off[slot] = (unsigned)((x >> 8) % (FILE_SIZE - READ_LEN));
		ts->busy[slot] = 1;

		pthread_mutex_lock(&sq_lock);
		sqe = aioring_get_sqe(&ring);
		if (!sqe) {
			/* SQEs from a refused submit are still queued. */
			aioring_submit(&ring);
			pthread_mutex_unlock(&sq_lock);
			ts->busy[slot] = 0;
			sched_yield();
			continue;
		}
		if (ts->is_read[slot])
			aioring_prep_read(sqe, file_fd, ts->buf[slot], READ_LEN,
					  ts->off[slot]);
		else
			aioring_prep_nop(sqe);
		aioring_sqe_set_data64(sqe, UD(ts->id, seq, slot));
		ret = aioring_submit(&ring);
		pthread_mutex_unlock(&sq_lock);
		if (ret < 0 && ret != -EBUSY && ret != -EAGAIN)
			t_fail("thread %u: aioring_submit: expected >= 0, got %s",
			       ts->id, t_resname(ret));
		if (ret < 0)
			sched_yield();	/* stays queued, goes with a later submit */
		seq++;
		slot = (slot + 1) % SLOTS;
	}
	return NULL;
}

static void check_cqe(const struct aioring_cqe *cqe)
{
	unsigned t = (unsigned)(cqe->user_data >> 32);
	unsigned seq = (unsigned)(cqe->user_data >> 8) & 0xffffff;
	unsigned slot = (unsigned)cqe->user_data & 0xff;
	struct thread_state *ts;

	if (t >= NR_THREADS || seq == 0 || seq > PER_THREAD || slot >= SLOTS)
		t_fail("unexpected user_data 0x%llx res %s",
		       (unsigned long long)cqe->user_data, t_resname(cqe->res));
	ts = &threads[t];
	if (ts->seen[seq]++)
		t_fail("thread %u request %u: CQE twice", t, seq);
	if (!ts->busy[slot])
		t_fail("thread %u request %u: CQE for a free slot %u", t, seq, slot);
	if (ts->is_read[slot]) {
		if (cqe->res != READ_LEN)
			t_fail("thread %u request %u READ: expected res %d, got %s",
			       t, seq, READ_LEN, t_resname(cqe->res));
		t_check_buf(ts->buf[slot], filedata + ts->off[slot], READ_LEN,
			    "READ data");
	} else if (cqe->res != 0) {
		t_fail("thread %u request %u NOP: expected res 0, got %s", t,
		       seq, t_resname(cqe->res));
	}
	__atomic_store_n(&ts->busy[slot], 0, __ATOMIC_RELEASE);
}

/* The CQ side: only this thread touches the CQ head. */
static void *reaper(void *arg)
{
	unsigned total = NR_THREADS * PER_THREAD, done = 0;
	uint64_t deadline = t_now_ns() + 60ULL * 1000000000;
	unsigned long long timeout = 100ULL * 1000 * 1000;

	(void)arg;
	while (done < total) {
		struct aioring_cqe *cqe;
		int ret = aioring_peek_cqe(&ring, &cqe);

		if (ret == 0) {
			check_cqe(cqe);
			aioring_cqe_seen(&ring, cqe);
			done++;
			continue;
		}
		if (ret != -EAGAIN)
			t_fail("peek_cqe: expected 0 or -EAGAIN, got %s",
			       t_resname(ret));
		if (t_now_ns() > deadline)
			t_fail("reaper: %u of %u completions after 60 s", done,
			       total);
		ret = aioring_enter(ring.ring_fd, 0, 1, AIORING_ENTER_GETEVENTS,
				    &timeout, NULL, 0);
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			t_fail("reaper enter: expected 0 or -ETIME, got %s",
			       t_resname(ret));
	}
	return NULL;
}

int main(void)
{
	pthread_t reap_thread;
	unsigned t, s;

	t_require_device();
	t_seed_random();
	file_fd = t_create_file(FILE_SIZE, filedata, NULL, 0);
	t_ring_init(&ring, 16, 0);

	if (pthread_create(&reap_thread, NULL, reaper, NULL))
		t_fail("pthread_create");
	for (t = 0; t < NR_THREADS; t++) {
		threads[t].id = t;
		if (pthread_create(&threads[t].thread, NULL, submitter,
				   &threads[t]))
			t_fail("pthread_create");
	}
	for (t = 0; t < NR_THREADS; t++)
		pthread_join(threads[t].thread, NULL);
	/* Anything a refused submit left queued goes in now. */
	while (aioring_sq_ready(&ring) || *ring.sq.khead != *ring.sq.ktail) {
		pthread_mutex_lock(&sq_lock);
		aioring_submit(&ring);
		pthread_mutex_unlock(&sq_lock);
		t_sleep_ms(1);
	}
	pthread_join(reap_thread, NULL);

	for (t = 0; t < NR_THREADS; t++)
		for (s = 1; s <= PER_THREAD; s++)
			if (threads[t].seen[s] != 1)
				t_fail("thread %u request %u: seen %u times", t,
				       s, threads[t].seen[s]);
	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
