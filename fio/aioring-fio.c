/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aioring-fio: a fio external ioengine that does its I/O through an
 * aioring ring (/dev/aioring).
 *
 *	fio --ioengine=external:/path/to/aioring-fio.so --submit_mode=inline ...
 *
 * It follows fio's own io_uring engine, whose ring layout aioring shares:
 * ->prep fills the SQE slot that belongs to the io_u (slot io_u->index, so
 * an SQE is never shared), ->queue only publishes that slot in the SQ ring
 * with a store-release of the tail, ->commit enters the module for
 * everything published since the last commit (or only wakes the SQ thread
 * when it sleeps), ->getevents waits on the CQ ring and ->event maps a
 * CQE's user_data back to its io_u.
 *
 * Options (io_uring's names where they mean the same):
 *	submit_mode=inline|workqueue|sqthread	how the module submits: inline
 *		with IOCB_NOWAIT (default), every request to the worker pool
 *		(AIORING_SETUP_SQWQ), or a kernel SQ thread
 *		(AIORING_SETUP_SQTHREAD)
 *	sqthread_poll		the same as submit_mode=sqthread
 *	sqthread_poll_cpu	bind the SQ thread to a CPU (AIORING_SETUP_SQ_AFF)
 *	hipri			polled completions (AIORING_SETUP_IOPOLL, O_DIRECT)
 *	fixedbufs		register the io_u buffers; READ_FIXED/WRITE_FIXED
 *	registerfiles		register the job's files; AIORING_SQE_FIXED_FILE
 *	ring_stats		print the ring's counters (AIORING_IOC_STATS) at
 *				the end: which path the requests took
 * An SQ thread cannot look up the process's file descriptors, so sqthread
 * implies registerfiles.
 *
 * The engine is built against the source of one fio release (fio/Makefile
 * and fio/fio-source.sh fetch and configure the one installed) and refuses
 * to run inside any other: fio only checks FIO_IOOPS_VERSION, which does not
 * change with every layout change of struct thread_data.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fio.h"
#include "optgroup.h"

#include "libaioring.h"

/*
 * The fio releases this engine knows, as ioengine ABI versions: 31 is fio
 * 3.33 (Debian bookworm), 39 is fio 3.41 (sid). Everything that differs
 * between them is named here and nowhere else.
 */
#if FIO_IOOPS_VERSION < 31
#error "aioring-fio needs fio 3.33 or later (FIO_IOOPS_VERSION >= 31)"
#endif
#if FIO_IOOPS_VERSION > 39
#warning "aioring-fio has not been tried with this fio (FIO_IOOPS_VERSION > 39)"
#endif

#ifndef FIO_AIORING_BUILT_FOR
#error "FIO_AIORING_BUILT_FOR (the fio version string, e.g. \"fio-3.33\") must be set by the Makefile"
#endif

enum {
	FIO_AIORING_MODE_UNSET = 0,	/* neither submit_mode nor sqthread_poll given */
	FIO_AIORING_MODE_INLINE,
	FIO_AIORING_MODE_WORKQUEUE,
	FIO_AIORING_MODE_SQTHREAD,
};

struct fio_aioring_options {
	void *pad;		/* fio takes an option at offset 0 for "none" */
	unsigned int submit_mode;
	unsigned int sqthread_poll;
	unsigned int sqthread_poll_cpu;
	unsigned int sqthread_cpu_set;
	unsigned int hipri;
	unsigned int fixedbufs;
	unsigned int registerfiles;
	unsigned int ring_stats;
};

struct fio_aioring_data {
	struct aioring ring;
	int ring_ready;		/* ring set up; cleanup must tear it down */
	unsigned int mode;	/* FIO_AIORING_MODE_*, never UNSET */
	unsigned int iodepth;	/* io_us of the job: SQE slots 0..iodepth-1 */
	struct io_u **io_u_index;	/* io_u of each SQE slot */
	struct iovec *iovecs;	/* fixedbufs: the registered buffers */
	int *fds;		/* registerfiles: fd of each registered slot */
	unsigned int queued;	/* published in the SQ ring, not yet entered */
	unsigned int cq_off;	/* CQ head when the last getevents began */
	unsigned int cq_pending;/* CQEs handed to fio, not yet released */
};

static int fio_aioring_sqthread_cpu_cb(void *data, unsigned long long *val)
{
	struct fio_aioring_options *o = data;

	o->sqthread_poll_cpu = (unsigned int)*val;
	o->sqthread_cpu_set = 1;
	return 0;
}

static struct fio_option options[] = {
	{
		.name	= "submit_mode",
		.lname	= "aioring submission mode",
		.type	= FIO_OPT_STR,
		.off1	= offsetof(struct fio_aioring_options, submit_mode),
		.help	= "How the module submits: inline, workqueue or sqthread",
		.posval = {
			  { .ival = "inline",
			    .oval = FIO_AIORING_MODE_INLINE,
			    .help = "issue in ENTER with IOCB_NOWAIT, hand on what would block",
			  },
			  { .ival = "workqueue",
			    .oval = FIO_AIORING_MODE_WORKQUEUE,
			    .help = "hand every request to the ring's worker pool",
			  },
			  { .ival = "sqthread",
			    .oval = FIO_AIORING_MODE_SQTHREAD,
			    .help = "a kernel thread polls the SQ ring (implies registerfiles)",
			  },
		},
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "sqthread_poll",
		.lname	= "Kernel SQ thread polling",
		.type	= FIO_OPT_STR_SET,
		.off1	= offsetof(struct fio_aioring_options, sqthread_poll),
		.help	= "Same as submit_mode=sqthread",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "sqthread_poll_cpu",
		.lname	= "SQ thread poll CPU",
		.type	= FIO_OPT_INT,
		.cb	= fio_aioring_sqthread_cpu_cb,
		.help	= "CPU the SQ thread is bound to",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "hipri",
		.lname	= "High Priority",
		.type	= FIO_OPT_STR_SET,
		.off1	= offsetof(struct fio_aioring_options, hipri),
		.help	= "Use polled IO completions (O_DIRECT only)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "fixedbufs",
		.lname	= "Fixed (pre-mapped) IO buffers",
		.type	= FIO_OPT_STR_SET,
		.off1	= offsetof(struct fio_aioring_options, fixedbufs),
		.help	= "Pre map IO buffers",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "registerfiles",
		.lname	= "Register file set",
		.type	= FIO_OPT_STR_SET,
		.off1	= offsetof(struct fio_aioring_options, registerfiles),
		.help	= "Pre-open/register files",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "ring_stats",
		.lname	= "Print the ring's counters",
		.type	= FIO_OPT_STR_SET,
		.off1	= offsetof(struct fio_aioring_options, ring_stats),
		.help	= "Print the ring's AIORING_IOC_STATS counters at the end of the job",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= NULL,
	},
};

static const char *fio_aioring_mode_name(unsigned int mode)
{
	switch (mode) {
	case FIO_AIORING_MODE_WORKQUEUE:
		return "workqueue";
	case FIO_AIORING_MODE_SQTHREAD:
		return "sqthread";
	default:
		return "inline";
	}
}

static int fio_aioring_prep(struct thread_data *td, struct io_u *io_u)
{
	struct fio_aioring_data *ld = td->io_ops_data;
	struct fio_aioring_options *o = td->eo;
	struct aioring_sqe *sqe = &ld->ring.sq.sqes[io_u->index];
	struct fio_file *f = io_u->file;

	/*
	 * The slot is this io_u's alone, and the module has copied it by the
	 * time the io_u comes back, so it is rewritten in full every time.
	 */
	memset(sqe, 0, sizeof(*sqe));
	if (o->registerfiles) {
		sqe->fd = (int)f->engine_pos;
		sqe->flags = AIORING_SQE_FIXED_FILE;
	} else {
		sqe->fd = f->fd;
	}

	switch (io_u->ddir) {
	case DDIR_READ:
	case DDIR_WRITE:
		sqe->addr = (uint64_t)(uintptr_t)io_u->xfer_buf;
		sqe->len = (uint32_t)io_u->xfer_buflen;
		sqe->off = io_u->offset;
		if (o->fixedbufs) {
			sqe->opcode = io_u->ddir == DDIR_READ ?
				AIORING_OP_READ_FIXED : AIORING_OP_WRITE_FIXED;
			sqe->buf_index = (uint16_t)io_u->index;
		} else {
			sqe->opcode = io_u->ddir == DDIR_READ ?
				AIORING_OP_READ : AIORING_OP_WRITE;
		}
		break;
	case DDIR_SYNC:
		sqe->opcode = AIORING_OP_FSYNC;
		break;
	case DDIR_DATASYNC:
		sqe->opcode = AIORING_OP_FSYNC;
		sqe->fsync_flags = AIORING_FSYNC_DATASYNC;
		break;
	case DDIR_TRIM:
		/* Done synchronously in ->queue (FIO_ASYNCIO_SYNC_TRIM). */
		break;
	default:
		log_err("aioring: unsupported I/O direction %d\n", io_u->ddir);
		return 1;
	}
	sqe->user_data = (uint64_t)(uintptr_t)io_u;
	return 0;
}

static struct io_u *fio_aioring_event(struct thread_data *td, int event)
{
	struct fio_aioring_data *ld = td->io_ops_data;
	struct aioring_cq *cq = &ld->ring.cq;
	struct aioring_cqe *cqe;
	struct io_u *io_u;

	/*
	 * The CQEs of the last getevents stay in the ring until the next one
	 * releases them (fio_aioring_release_cqes()), so this read is safe.
	 */
	cqe = &cq->cqes[(ld->cq_off + (unsigned int)event) & cq->ring_mask];
	io_u = (struct io_u *)(uintptr_t)cqe->user_data;

	if (io_u->ddir == DDIR_SYNC || io_u->ddir == DDIR_DATASYNC) {
		io_u->error = cqe->res < 0 ? -cqe->res : 0;
	} else if (cqe->res < 0) {
		io_u->error = -cqe->res;
	} else {
		io_u->error = 0;
		if ((unsigned long long)cqe->res < io_u->xfer_buflen)
			io_u->resid = io_u->xfer_buflen - (unsigned long long)cqe->res;
	}
	return io_u;
}

/* Give the CQ slots of the CQEs fio has taken back to the module. */
static void fio_aioring_release_cqes(struct fio_aioring_data *ld)
{
	if (ld->cq_pending) {
		aioring_cq_advance(&ld->ring, ld->cq_pending);
		ld->cq_pending = 0;
	}
}

/* The SQ thread sleeps and must be woken to see new SQ entries. */
static int fio_aioring_sq_needs_wakeup(struct fio_aioring_data *ld)
{
	/*
	 * Order the SQ tail store before reading the flags; pairs with the
	 * smp_mb() in the module's SQ thread between setting
	 * AIORING_SQ_NEED_WAKEUP and re-reading the tail.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !!(AIORING_READ_ONCE(*ld->ring.sq.kflags) & AIORING_SQ_NEED_WAKEUP);
}

static int fio_aioring_getevents(struct thread_data *td, unsigned int min,
				 unsigned int max, const struct timespec *t)
{
	struct fio_aioring_data *ld = td->io_ops_data;
	struct fio_aioring_options *o = td->eo;
	struct aioring_cq *cq = &ld->ring.cq;
	unsigned int events = 0, avail, flags;
	/* min 0 waits for nothing, but IOPOLL completes only when polled */
	int polled = !o->hipri;
	int ret;

	(void)t;
	fio_aioring_release_cqes(ld);
	ld->cq_off = *cq->khead;
	for (;;) {
		/* Pairs with the module's smp_store_release() of the CQ tail. */
		avail = aioring_smp_load_acquire(cq->ktail) - ld->cq_off;
		events = avail < max ? avail : max;
		if (events >= min && (events || !min || polled))
			break;
		/*
		 * Wait in the module (with IOPOLL this also reaps by polling);
		 * even an SQ thread ring waits here rather than spinning, as
		 * the thread posts completions by itself.
		 */
		flags = AIORING_ENTER_GETEVENTS;
		if (ld->mode == FIO_AIORING_MODE_SQTHREAD &&
		    fio_aioring_sq_needs_wakeup(ld))
			flags |= AIORING_ENTER_SQ_WAKEUP;
		ret = aioring_enter(ld->ring.ring_fd, 0, min - events, flags,
				    NULL, NULL, 0);
		polled = 1;
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN) {
			td_verror(td, -ret, "aioring enter (getevents)");
			return ret;
		}
	}
	ld->cq_pending = events;
	return (int)events;
}

static enum fio_q_status fio_aioring_queue(struct thread_data *td,
					   struct io_u *io_u)
{
	struct fio_aioring_data *ld = td->io_ops_data;
	struct aioring_sq *sq = &ld->ring.sq;
	unsigned int tail;

	fio_ro_check(td, io_u);

	if (ld->queued == ld->iodepth)
		return FIO_Q_BUSY;

	if (io_u->ddir == DDIR_TRIM) {
		if (ld->queued)
			return FIO_Q_BUSY;
		do_io_u_trim(td, io_u);
		io_u_mark_submit(td, 1);
		io_u_mark_complete(td, 1);
		return FIO_Q_COMPLETED;
	}

	/*
	 * Only publish: the SQE was filled by ->prep. The SQ ring has at
	 * least iodepth slots and at most iodepth io_us exist, so it cannot
	 * be full.
	 */
	tail = *sq->ktail;
	sq->array[tail & sq->ring_mask] = io_u->index;
	/*
	 * Ensure the module sees the SQE and the index array before the new
	 * tail; pairs with the smp_load_acquire() of the SQ tail in the
	 * module's aior_submit_sqes() (or the SQ thread).
	 */
	aioring_smp_store_release(sq->ktail, tail + 1);
	ld->queued++;
	return FIO_Q_QUEUED;
}

/* Stamp the issue time of @nr io_us published from SQ position @start. */
static void fio_aioring_queued(struct thread_data *td, unsigned int start,
			       unsigned int nr)
{
	struct fio_aioring_data *ld = td->io_ops_data;
	struct aioring_sq *sq = &ld->ring.sq;
	struct timespec now;
	struct io_u *io_u;

	if (!fio_fill_issue_time(td))
		return;
	fio_gettime(&now, NULL);
	while (nr--) {
		io_u = ld->io_u_index[sq->array[start & sq->ring_mask]];
		memcpy(&io_u->issue_time, &now, sizeof(now));
		io_u_queued(td, io_u);
		start++;
	}
	if (td->o.read_iolog_file)
		memcpy(&td->last_issue, &now, sizeof(now));
}

static int fio_aioring_commit(struct thread_data *td)
{
	struct fio_aioring_data *ld = td->io_ops_data;
	struct aioring_sq *sq = &ld->ring.sq;
	unsigned int start;
	int ret;

	if (!ld->queued)
		return 0;

	/*
	 * The SQ thread consumes what ->queue published by itself; enter only
	 * to wake it after it went to sleep.
	 */
	if (ld->mode == FIO_AIORING_MODE_SQTHREAD) {
		start = *sq->ktail - ld->queued;
		if (fio_aioring_sq_needs_wakeup(ld)) {
			ret = aioring_enter(ld->ring.ring_fd, 0, 0,
					    AIORING_ENTER_SQ_WAKEUP, NULL, NULL, 0);
			if (ret < 0) {
				td_verror(td, -ret, "aioring enter (wakeup)");
				return ret;
			}
		}
		fio_aioring_queued(td, start, ld->queued);
		io_u_mark_submit(td, ld->queued);
		ld->queued = 0;
		return 0;
	}

	while (ld->queued) {
		/* Pairs with the module's smp_store_release() of the SQ head. */
		start = aioring_smp_load_acquire(sq->khead);
		ret = aioring_enter(ld->ring.ring_fd, ld->queued, 0, 0,
				    NULL, NULL, 0);
		if (ret > 0) {
			fio_aioring_queued(td, start, (unsigned int)ret);
			io_u_mark_submit(td, (unsigned int)ret);
			ld->queued -= (unsigned int)ret;
			continue;
		}
		/*
		 * -EBUSY (completions wait for CQ space) cannot happen with
		 * a CQ ring twice the SQ ring and at most iodepth requests;
		 * -EAGAIN (memory short) and -EINTR are worth a retry.
		 */
		if (ret == 0 || ret == -EINTR || ret == -EAGAIN) {
			usleep(10);
			continue;
		}
		td_verror(td, -ret, "aioring enter (submit)");
		return ret;
	}
	return 0;
}

/*
 * With registered files the job's files are opened once, before the ring
 * sees any I/O, and stay open until cleanup; open/close then only hand out
 * the fd (as fio's io_uring engine does).
 */
static int fio_aioring_register_files(struct thread_data *td)
{
	struct fio_aioring_data *ld = td->io_ops_data;
	struct fio_file *f;
	unsigned int i;
	int ret;

	ld->fds = calloc(td->o.nr_files, sizeof(int));
	if (!ld->fds)
		return -ENOMEM;
	for (i = 0; i < td->o.nr_files; i++)
		ld->fds[i] = -1;

	for_each_file(td, f, i) {
		ret = generic_open_file(td, f);
		if (ret) {
			ret = -(td->error ? td->error : EINVAL);
			goto err;
		}
		ld->fds[i] = f->fd;
		f->engine_pos = i;
	}
	ret = aioring_register_files(&ld->ring, ld->fds, td->o.nr_files);
	if (ret)
		goto err;
	/* Closed as far as fio knows; ->open_file hands the fd out again. */
	for_each_file(td, f, i)
		f->fd = -1;
	return 0;
err:
	for_each_file(td, f, i) {
		if (f->fd != -1) {
			int fio_unused ret2 = generic_close_file(td, f);
		}
	}
	free(ld->fds);
	ld->fds = NULL;
	return ret;
}

static int fio_aioring_post_init(struct thread_data *td)
{
	struct fio_aioring_data *ld = td->io_ops_data;
	struct fio_aioring_options *o = td->eo;
	struct aioring_params p;
	unsigned int i;
	int ret;

	memset(&p, 0, sizeof(p));
	switch (ld->mode) {
	case FIO_AIORING_MODE_WORKQUEUE:
		p.flags |= AIORING_SETUP_SQWQ;
		break;
	case FIO_AIORING_MODE_SQTHREAD:
		p.flags |= AIORING_SETUP_SQTHREAD;
		if (o->sqthread_cpu_set) {
			p.flags |= AIORING_SETUP_SQ_AFF;
			p.sq_thread_cpu = o->sqthread_poll_cpu;
		}
		break;
	}
	if (o->hipri)
		p.flags |= AIORING_SETUP_IOPOLL;

	/*
	 * SQ ring >= iodepth, so that every io_u owns an SQE slot; the CQ
	 * ring defaults to twice that, so completions never wait for space.
	 */
	ret = aioring_queue_init_params(ld->iodepth, &ld->ring, &p);
	if (ret) {
		if (ret == -ENOENT || ret == -ENODEV)
			log_err("aioring: no %s: is the aioring module loaded?\n",
				AIORING_DEVICE);
		td_verror(td, -ret, "aioring setup");
		return 1;
	}
	ld->ring_ready = 1;

	if (o->fixedbufs) {
		for (i = 0; i < ld->iodepth; i++) {
			ld->iovecs[i].iov_base = ld->io_u_index[i]->buf;
			ld->iovecs[i].iov_len = td_max_bs(td);
		}
		ret = aioring_register_buffers(&ld->ring, ld->iovecs, ld->iodepth);
		if (ret) {
			td_verror(td, -ret, "aioring register buffers");
			return 1;
		}
	}
	if (o->registerfiles) {
		ret = fio_aioring_register_files(td);
		if (ret) {
			td_verror(td, -ret, "aioring register files");
			return 1;
		}
	}
	dprint(FD_IO, "aioring: %s ring, %u SQ entries, features 0x%x\n",
	       fio_aioring_mode_name(ld->mode), ld->ring.sq.ring_entries,
	       ld->ring.features);
	return 0;
}

static int fio_aioring_init(struct thread_data *td)
{
	struct fio_aioring_options *o = td->eo;
	struct fio_aioring_data *ld;
	unsigned int mode = o->submit_mode;

	/*
	 * fio loads an engine into any fio whose ioengine ABI number matches,
	 * but struct thread_data changes between releases without a new
	 * number: run only in the fio the engine was built against.
	 */
	if (strcmp(fio_version_string, FIO_AIORING_BUILT_FOR)) {
		log_err("aioring: this engine was built against %s but runs in %s; "
			"rebuild it with make fio-engine\n",
			FIO_AIORING_BUILT_FOR, fio_version_string);
		return 1;
	}

	if (o->sqthread_poll) {
		if (mode != FIO_AIORING_MODE_UNSET &&
		    mode != FIO_AIORING_MODE_SQTHREAD) {
			log_err("aioring: sqthread_poll conflicts with submit_mode=%s\n",
				fio_aioring_mode_name(mode));
			return 1;
		}
		mode = FIO_AIORING_MODE_SQTHREAD;
	}
	if (mode == FIO_AIORING_MODE_UNSET)
		mode = FIO_AIORING_MODE_INLINE;
	if (o->sqthread_cpu_set && mode != FIO_AIORING_MODE_SQTHREAD) {
		log_err("aioring: sqthread_poll_cpu needs submit_mode=sqthread\n");
		return 1;
	}
	/* An SQ thread can only use registered files. */
	if (mode == FIO_AIORING_MODE_SQTHREAD)
		o->registerfiles = 1;
	if (o->hipri && !td->o.odirect) {
		log_err("aioring: hipri (polled completions) needs direct=1\n");
		return 1;
	}
	if (o->registerfiles && td->o.nr_files != td->o.open_files) {
		log_err("aioring: registerfiles (and submit_mode=sqthread) need "
			"nr_files to be identical to open_files\n");
		return 1;
	}
	if (o->fixedbufs && td->o.iodepth > AIORING_MAX_REG_BUFFERS) {
		log_err("aioring: fixedbufs registers one buffer per io_u, at most %d\n",
			AIORING_MAX_REG_BUFFERS);
		return 1;
	}
	if (td->o.iodepth > AIORING_MAX_ENTRIES) {
		log_err("aioring: iodepth is at most %d\n", AIORING_MAX_ENTRIES);
		return 1;
	}

	ld = calloc(1, sizeof(*ld));
	if (!ld)
		return 1;
	ld->mode = mode;
	ld->iodepth = td->o.iodepth;
	ld->io_u_index = calloc(ld->iodepth, sizeof(struct io_u *));
	ld->iovecs = calloc(ld->iodepth, sizeof(struct iovec));
	if (!ld->io_u_index || !ld->iovecs) {
		free(ld->io_u_index);
		free(ld->iovecs);
		free(ld);
		return 1;
	}
	td->io_ops_data = ld;
	return 0;
}

static int fio_aioring_io_u_init(struct thread_data *td, struct io_u *io_u)
{
	struct fio_aioring_data *ld = td->io_ops_data;

	ld->io_u_index[io_u->index] = io_u;
	return 0;
}

static int fio_aioring_open_file(struct thread_data *td, struct fio_file *f)
{
	struct fio_aioring_data *ld = td->io_ops_data;
	struct fio_aioring_options *o = td->eo;

	if (!ld || !o->registerfiles || !ld->fds)
		return generic_open_file(td, f);
	f->fd = ld->fds[f->engine_pos];
	return 0;
}

static int fio_aioring_close_file(struct thread_data *td, struct fio_file *f)
{
	struct fio_aioring_data *ld = td->io_ops_data;
	struct fio_aioring_options *o = td->eo;

	if (!ld || !o->registerfiles || !ld->fds)
		return generic_close_file(td, f);
	f->fd = -1;
	return 0;
}

/* One line, for people and for the lab's tests to read. */
static void fio_aioring_print_stats(struct fio_aioring_data *ld)
{
	struct aioring_stats st;
	int ret = aioring_get_stats(&ld->ring, &st);

	if (ret) {
		log_err("aioring: cannot read the ring's counters: %s\n",
			strerror(-ret));
		return;
	}
	log_info("aioring-stats: mode=%s submitted=%llu inline=%llu waitq=%llu "
		 "punted=%llu eagain=%llu async=%llu iopoll=%llu enters=%llu "
		 "sq_wakeups=%llu cq_overflow=%llu\n",
		 fio_aioring_mode_name(ld->mode),
		 (unsigned long long)st.submitted,
		 (unsigned long long)st.completed_inline,
		 (unsigned long long)st.completed_waitq,
		 (unsigned long long)st.punted,
		 (unsigned long long)st.eagain,
		 (unsigned long long)st.completed_async,
		 (unsigned long long)st.iopoll_reaped,
		 (unsigned long long)st.enter_calls,
		 (unsigned long long)st.sq_thread_wakeups,
		 (unsigned long long)st.cq_overflow);
}

static void fio_aioring_cleanup(struct thread_data *td)
{
	struct fio_aioring_data *ld = td->io_ops_data;
	struct fio_aioring_options *o = td->eo;
	unsigned int i;

	if (!ld)
		return;
	if (ld->ring_ready && o->ring_stats)
		fio_aioring_print_stats(ld);
	/* Unmapping and closing the ring cancels or completes what is left. */
	if (ld->ring_ready && !(td->flags & TD_F_CHILD))
		aioring_queue_exit(&ld->ring);
	if (ld->fds) {
		for (i = 0; i < td->o.nr_files; i++)
			if (ld->fds[i] >= 0)
				close(ld->fds[i]);
		free(ld->fds);
	}
	free(ld->io_u_index);
	free(ld->iovecs);
	free(ld);
	td->io_ops_data = NULL;
}

static struct ioengine_ops ioengine = {
	.name			= "aioring",
	.version		= FIO_IOOPS_VERSION,
	.flags			= FIO_ASYNCIO_SYNC_TRIM | FIO_NO_OFFLOAD |
				  FIO_ASYNCIO_SETS_ISSUE_TIME,
	.init			= fio_aioring_init,
	.post_init		= fio_aioring_post_init,
	.io_u_init		= fio_aioring_io_u_init,
	.prep			= fio_aioring_prep,
	.queue			= fio_aioring_queue,
	.commit			= fio_aioring_commit,
	.getevents		= fio_aioring_getevents,
	.event			= fio_aioring_event,
	.cleanup		= fio_aioring_cleanup,
	.open_file		= fio_aioring_open_file,
	.close_file		= fio_aioring_close_file,
	.get_file_size		= generic_get_file_size,
	.options		= options,
	.option_struct_size	= sizeof(struct fio_aioring_options),
};

/* fio looks this symbol up with dlsym() when it loads an external engine. */
void get_ioengine(struct ioengine_ops **ioengine_ptr);
void get_ioengine(struct ioengine_ops **ioengine_ptr)
{
	*ioengine_ptr = &ioengine;
}
