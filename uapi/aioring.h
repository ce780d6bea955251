/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * aioring: io_uring-class asynchronous I/O through /dev/aioring.
 *
 * This header is the single definition of the aioring ABI. The kernel
 * module, libaioring, the tests and the fio engine all include it.
 *
 * One open() of /dev/aioring is one ring context. AIORING_IOC_SETUP sizes
 * the rings and reports where to mmap them; AIORING_IOC_ENTER submits and
 * waits.
 *
 * io_uring compatibility: the SQ ring, the 64-byte SQE, the CQ ring and the
 * 16-byte CQE have exactly the layout of their io_uring counterparts, and
 * every opcode, SQE flag and fsync flag defined here carries the number of
 * the matching IORING_* / IOSQE_* constant, as do the mmap offsets and the
 * ring flags. Code written for io_uring ports to aioring by renaming.
 * tests/abi-compat.c checks this against <linux/io_uring.h>. Everything
 * else (setup parameters, the enter arguments, ioctl numbers) is aioring's
 * own.
 *
 * Rules for every structure passed through an ioctl: fixed-size types only,
 * explicit padding, and reserved fields that must be zero. The module
 * rejects a nonzero reserved field or an unknown flag with -EINVAL, which
 * is what lets reserved space become new fields later without an ABI break.
 *
 * Ownership: a ring belongs to the address space (mm) of the process that
 * opened /dev/aioring, because every buffer address in its SQEs is an
 * address in that mm. ENTER, SETUP and mmap from any other mm, such as a
 * child after fork() or a process that received the fd over a socket,
 * fail with -EPERM. Ring mappings are not inherited across fork()
 * (VM_DONTCOPY). Closing an inherited fd in the child is always allowed
 * and does not disturb the owner. This is fs/aio.c's rule (an aio context
 * is found through current->mm), made explicit.
 */
#ifndef _UAPI_LINUX_AIORING_H
#define _UAPI_LINUX_AIORING_H

#include <linux/types.h>
#include <linux/ioctl.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AIORING_DEVICE		"/dev/aioring"

/*
 * Submission queue entry, 64 bytes, laid out as struct io_uring_sqe.
 * Fields an opcode does not use are reserved and must be zero.
 */
struct aioring_sqe {
	__u8	opcode;		/* AIORING_OP_* */
	__u8	flags;		/* AIORING_SQE_* */
	__u16	ioprio;		/* reserved, must be zero */
	__s32	fd;		/* file descriptor to do I/O on */
	__u64	off;		/* file offset; -1 means the file position */
	__u64	addr;		/* buffer, or iovec array for READV/WRITEV */
	__u32	len;		/* buffer size, or iovec count */
	union {
		__u32	rw_flags;	/* RWF_* for reads and writes */
		__u32	fsync_flags;	/* AIORING_FSYNC_* */
		__u16	poll_events;	/* io_uring's pre-5.9 16-bit field */
		__u32	poll32_events;	/* POLL_ADD: POLL* mask, see below */
	};
	__u64	user_data;	/* echoed in the CQE */
	__u16	buf_index;	/* READ_FIXED/WRITE_FIXED: registered buffer; else 0 */
	__u16	personality;	/* reserved, must be zero */
	__s32	__resv1;	/* reserved, must be zero */
	__u64	__resv2[2];	/* reserved, must be zero */
};

/*
 * Opcodes. The numbers are io_uring's; the gaps are io_uring opcodes that
 * aioring does not implement, and they complete with -EINVAL.
 */
enum {
	AIORING_OP_NOP		= 0,	/* IORING_OP_NOP */
	AIORING_OP_READV	= 1,	/* IORING_OP_READV */
	AIORING_OP_WRITEV	= 2,	/* IORING_OP_WRITEV */
	AIORING_OP_FSYNC	= 3,	/* IORING_OP_FSYNC */
	AIORING_OP_READ_FIXED	= 4,	/* IORING_OP_READ_FIXED: registered buffer */
	AIORING_OP_WRITE_FIXED	= 5,	/* IORING_OP_WRITE_FIXED: registered buffer */
	AIORING_OP_POLL_ADD	= 6,	/* IORING_OP_POLL_ADD: one-shot poll */
	AIORING_OP_POLL_REMOVE	= 7,	/* IORING_OP_POLL_REMOVE: cancel a poll */
	AIORING_OP_READ		= 22,	/* IORING_OP_READ */
	AIORING_OP_WRITE	= 23,	/* IORING_OP_WRITE */

	AIORING_OP_LAST		= 24,	/* one past the highest number */
};

/*
 * Poll (io_uring's one-shot IORING_OP_POLL_ADD and IORING_OP_POLL_REMOVE).
 *
 * POLL_ADD waits until file sqe->fd (or registered file sqe->fd with
 * AIORING_SQE_FIXED_FILE) is ready for one of the events in
 * sqe->poll32_events (POLLIN, POLLOUT, POLLPRI, ...). The CQE's res is the
 * ready mask, limited to the requested events plus POLLERR and POLLHUP,
 * or -errno. A file that is already ready completes at once. off, addr,
 * len (io_uring's multishot flags), buf_index and the reserved fields must
 * be zero. Like io_uring, the kernel reads poll32_events with its 16-bit
 * halves swapped on big-endian machines, so that the legacy 16-bit
 * poll_events overlays its low half there too; aioring_prep_poll_add()
 * does the swap. Not available on AIORING_SETUP_IOPOLL rings (-EINVAL),
 * and an aioring fd cannot be polled through a ring (-EINVAL). A file
 * may wait on up to two waitqueues per poll (a tty, a FIFO open for
 * reading and writing); one that needs more completes with -EINVAL, as in
 * io_uring.
 *
 * POLL_REMOVE cancels the pending POLL_ADD whose user_data is sqe->addr:
 * it completes with 0 and the poll with -ECANCELED; with -ENOENT if no
 * such poll is pending (io_uring may also answer -EALREADY for a poll that
 * is completing; aioring does not). sqe->fd
 * is ignored; every other field but user_data must be zero. Polls still
 * pending when the ring is closed are cancelled with it.
 *
 * A pending poll counts as a request in flight (the CQ-size bound of
 * AIORING_IOC_ENTER).
 */

/*
 * sqe->flags, with io_uring's IOSQE_* numbers. Any other bit completes with
 * -EINVAL.
 */
#define AIORING_SQE_FIXED_FILE	(1U << 0)	/* IOSQE_FIXED_FILE: fd is a registered file index */
#define AIORING_SQE_ASYNC	(1U << 4)	/* IOSQE_ASYNC: go to a worker at once */
#define AIORING_SQE_FLAGS_SUPPORTED	(AIORING_SQE_FIXED_FILE | AIORING_SQE_ASYNC)

/* sqe->fsync_flags, as IORING_FSYNC_DATASYNC */
#define AIORING_FSYNC_DATASYNC	(1U << 0)

/*
 * Completion queue entry, 16 bytes, laid out as struct io_uring_cqe.
 * res is the result of the operation, or a negative errno.
 */
struct aioring_cqe {
	__u64	user_data;	/* sqe->user_data */
	__s32	res;
	__u32	flags;		/* none defined yet */
};

/*
 * An SQ ring slot holding an index >= sq_entries has no SQE to complete.
 * The module counts it in the SQ ring's dropped field and posts a CQE with
 * user_data AIORING_DROPPED_USER_DATA and res -ERANGE, so the loss is seen.
 */
#define AIORING_DROPPED_USER_DATA	(~0ULL)

/* Fixed mmap offsets, as IORING_OFF_* */
#define AIORING_OFF_SQ_RING	0ULL
#define AIORING_OFF_CQ_RING	0x8000000ULL
#define AIORING_OFF_SQES	0x10000000ULL

/*
 * Byte offsets of the SQ ring fields inside the SQ ring mapping. Same
 * layout as struct io_sqring_offsets.
 */
struct aioring_sqring_offsets {
	__u32	head;
	__u32	tail;
	__u32	ring_mask;
	__u32	ring_entries;
	__u32	flags;
	__u32	dropped;
	__u32	array;
	__u32	resv1;
	__u64	resv2;
};

/* SQ ring flags, as IORING_SQ_* */
#define AIORING_SQ_NEED_WAKEUP	(1U << 0)	/* SQ thread asleep: ENTER_SQ_WAKEUP */
#define AIORING_SQ_CQ_OVERFLOW	(1U << 1)	/* completions wait in the kernel */

/*
 * Byte offsets of the CQ ring fields inside the CQ ring mapping. Same
 * layout as struct io_cqring_offsets.
 */
struct aioring_cqring_offsets {
	__u32	head;
	__u32	tail;
	__u32	ring_mask;
	__u32	ring_entries;
	__u32	overflow;	/* completions dropped; always 0 (NODROP) */
	__u32	cqes;
	__u32	flags;
	__u32	resv1;
	__u64	resv2;
};

/*
 * Setup flags (params.flags); other bits get -EINVAL.
 *
 * Without a mode flag the ring submits inline: ENTER issues each request
 * with IOCB_NOWAIT and, when that would block, hands it on without
 * blocking the submitter: buffered reads wait for their pages with
 * IOCB_WAITQ callbacks, O_DIRECT completes from the block layer, and
 * everything else goes to the ring's bounded worker pool.
 *
 * AIORING_SETUP_SQWQ: ENTER validates the SQEs and hands every request to
 * the worker pool (thread offload). params.max_workers sets the pool's
 * concurrency, default min(sq_entries, 2 * online CPUs), capped by the
 * module's max_workers parameter.
 */
#define AIORING_SETUP_SQWQ		(1U << 16)

/*
 * AIORING_SETUP_IOPOLL (as IORING_SETUP_IOPOLL): reads and writes are
 * O_DIRECT and polled (HIPRI); completions are reaped by polling the
 * file's ->iopoll in ENTER(GETEVENTS) or the SQ thread. Requests on files
 * that cannot poll complete with -EOPNOTSUPP.
 *
 * AIORING_SETUP_SQTHREAD (as IORING_SETUP_SQPOLL): a kernel thread per
 * ring polls the SQ ring, so submission needs no ioctl. After
 * sq_thread_idle milliseconds (default 1000) without work it sets
 * AIORING_SQ_NEED_WAKEUP and sleeps; ENTER with AIORING_ENTER_SQ_WAKEUP
 * wakes it. A kernel thread cannot look up the process's file
 * descriptors, so its requests must use registered files
 * (AIORING_SQE_FIXED_FILE); a plain fd completes with -EBADF. With
 * AIORING_SETUP_SQ_AFF the thread is bound to sq_thread_cpu, which must be
 * an online CPU (else -EINVAL). The thread acts with the credentials and
 * address space of the process that set the ring up.
 */
#define AIORING_SETUP_IOPOLL		(1U << 0)
#define AIORING_SETUP_SQTHREAD		(1U << 1)
#define AIORING_SETUP_SQ_AFF		(1U << 2)
#define AIORING_SETUP_FLAGS_SUPPORTED	(AIORING_SETUP_SQWQ | AIORING_SETUP_IOPOLL | \
					 AIORING_SETUP_SQTHREAD | AIORING_SETUP_SQ_AFF)

/* Size limits. Larger requests get -EINVAL. */
#define AIORING_MAX_ENTRIES	16384
#define AIORING_MAX_CQ_ENTRIES	(2 * AIORING_MAX_ENTRIES)

/* params.features */
#define AIORING_FEAT_NODROP		(1U << 1) /* as IORING_FEAT_NODROP */
#define AIORING_FEAT_SUBMIT_STABLE	(1U << 2) /* as IORING_FEAT_SUBMIT_STABLE */
#define AIORING_FEAT_RW_CUR_POS		(1U << 3) /* as IORING_FEAT_RW_CUR_POS */
#define AIORING_FEAT_MM_OWNED		(1U << 16) /* ring bound to its mm */
#define AIORING_FEAT_NONBLOCK		(1U << 17) /* inline mode never blocks on regular files */
#define AIORING_FEAT_WAITQ		(1U << 18) /* IOCB_WAITQ buffered reads are available */
#define AIORING_FEAT_STATS		(1U << 19) /* AIORING_IOC_STATS */
#define AIORING_FEAT_REGISTER		(1U << 20) /* AIORING_IOC_REGISTER */

/*
 * Per-ring counters, read with AIORING_IOC_STATS (also shown in
 * /proc/<pid>/fdinfo/<ring fd>). They only ever grow.
 */
struct aioring_stats {
	__u64	submitted;		/* SQEs consumed */
	__u64	completed_inline;	/* finished within ENTER, without blocking */
	__u64	completed_waitq;	/* buffered reads finished by IOCB_WAITQ retries */
	__u64	waitq_retries;		/* page-unlock callbacks that re-drove a read */
	__u64	punted;			/* requests handed to the worker pool */
	__u64	eagain;			/* IOCB_NOWAIT attempts that would have blocked */
	__u64	completed_async;	/* completions via ki_complete (O_DIRECT) */
	__u64	cq_overflow;		/* completions that had to wait for CQ space */
	__u64	sq_thread_wakeups;	/* times the SQ thread was woken from sleep */
	__u64	iopoll_reaped;		/* completions reaped by polling */
	__u64	enter_calls;		/* AIORING_IOC_ENTER calls on this ring */
	__u64	resv[5];
};

/*
 * Argument of AIORING_IOC_SETUP. "in" fields are read, "out" fields are
 * written back; everything else must be zero.
 *
 * sq_entries (in/out): rounded up to a power of two, 1..AIORING_MAX_ENTRIES.
 * cq_entries (in/out): 0 means 2 * sq_entries; otherwise at least
 *	sq_entries and at most AIORING_MAX_CQ_ENTRIES, rounded up to a power
 *	of two.
 * max_workers (in/out): concurrency of the ring's worker pool; 0 means
 *	min(sq_entries, 2 * online CPUs). The module's max_workers parameter
 *	caps it. The value in force is written back.
 * sq_thread_cpu: with AIORING_SETUP_SQ_AFF, the CPU of the SQ thread;
 *	zero otherwise.
 * sq_thread_idle: with AIORING_SETUP_SQTHREAD, milliseconds of polling
 *	before the thread sleeps (0: 1000); zero otherwise.
 */
struct aioring_params {
	__u32	sq_entries;
	__u32	cq_entries;
	__u32	flags;			/* AIORING_SETUP_* */
	__u32	sq_thread_cpu;
	__u32	sq_thread_idle;		/* milliseconds */
	__u32	max_workers;
	__u32	features;		/* out: AIORING_FEAT_* */
	__u32	resv[5];
	struct aioring_sqring_offsets	sq_off;	/* out */
	struct aioring_cqring_offsets	cq_off;	/* out */
};

/* Enter flags */
#define AIORING_ENTER_GETEVENTS	(1U << 0)	/* as IORING_ENTER_GETEVENTS */
#define AIORING_ENTER_SQ_WAKEUP	(1U << 1)	/* as IORING_ENTER_SQ_WAKEUP */
#define AIORING_ENTER_TIMEOUT	(1U << 8)	/* timeout_ns is valid */

/*
 * Argument of AIORING_IOC_ENTER.
 *
 * Submits up to to_submit SQEs, then, with AIORING_ENTER_GETEVENTS, waits
 * until at least min_complete CQEs are in the CQ ring. sigmask, when not 0,
 * points to a sigset_t of sigsz bytes installed for the wait (as pselect).
 * With AIORING_ENTER_TIMEOUT the wait ends after timeout_ns nanoseconds
 * with -ETIME.
 *
 * Returns the number of SQEs consumed from the SQ ring. If none was
 * consumed, returns the error of the wait (-ETIME, -EINTR) or of the
 * submission (-EBUSY while completions wait in the kernel, -EAGAIN when
 * memory is short).
 */
struct aioring_enter_args {
	__u32	to_submit;
	__u32	min_complete;
	__u32	flags;			/* AIORING_ENTER_* */
	__u32	sigsz;
	__u64	sigmask;		/* const sigset_t * or 0 */
	__u64	timeout_ns;
	__u64	resv[2];
};

/*
 * Registered resources (AIORING_IOC_REGISTER), with io_uring's opcode
 * numbers. Registered files are used with AIORING_SQE_FIXED_FILE, where
 * sqe->fd is an index into the table; registered buffers with
 * AIORING_OP_READ_FIXED/WRITE_FIXED, where sqe->buf_index picks the
 * buffer and [addr, addr + len) must lie inside it.
 *
 * REGISTER_BUFFERS: arg points to nr struct iovec (at most 1024, each at
 *	most 1 GiB); the pages are pinned and charged to RLIMIT_MEMLOCK
 *	(-ENOMEM over it). -EBUSY if buffers are already registered.
 * REGISTER_FILES: arg points to nr __s32 fds (at most 32768; -1 leaves a
 *	slot empty). An aioring fd cannot be registered (-EBADF).
 * FILES_UPDATE: replaces nr slots starting at offset with arg's fds.
 * UNREGISTER_*: arg 0, nr 0. Requests in flight keep what they use.
 */
enum {
	AIORING_REGISTER_BUFFERS	= 0,
	AIORING_UNREGISTER_BUFFERS	= 1,
	AIORING_REGISTER_FILES		= 2,
	AIORING_UNREGISTER_FILES	= 3,
	AIORING_REGISTER_FILES_UPDATE	= 6,
};

#define AIORING_MAX_REG_BUFFERS	1024
#define AIORING_MAX_REG_FILES	32768

struct aioring_register_args {
	__u32	opcode;			/* AIORING_REGISTER_* */
	__u32	nr;
	__u64	arg;			/* user pointer */
	__u32	offset;			/* FILES_UPDATE: first slot */
	__u32	resv1;
	__u64	resv[2];
};

/*
 * Argument of AIORING_IOC_PROBE_FILE: how aioring would treat I/O on an
 * open file, so a program (or aioring-info(1)) can tell whether reads on a
 * file system can complete without a worker. It needs no ring set up.
 *
 * fd (in): the file to probe; -EBADF if it is not open.
 * flags (in): none defined; must be zero, as must every resv field
 *	(-EINVAL otherwise).
 * caps (out): AIORING_FILE_* bits; its value on input is ignored. The
 *	answer describes the file as it was opened (some kernels set these
 *	per open file) on this kernel, with the module parameters in force
 *	at the time of the call.
 */
struct aioring_probe_file {
	__s32	fd;
	__u32	flags;
	__u32	caps;			/* out: AIORING_FILE_* */
	__u32	resv1;
	__u64	resv[3];
};

/*
 * AIORING_FILE_ASYNC: a regular file or a block device. Requests on it
 *	never block ENTER in the inline mode: what would block goes to
 *	IOCB_WAITQ or a worker. Other files (pipes, sockets, character
 *	devices) execute inline and may block ENTER.
 * AIORING_FILE_NOWAIT: the file honours IOCB_NOWAIT (FMODE_NOWAIT), so an
 *	inline attempt is made before any handoff, and RWF_NOWAIT works.
 * AIORING_FILE_BUF_RASYNC: its file system supports async buffered reads
 *	(FMODE_BUF_RASYNC before 6.12, FOP_BUFFER_RASYNC since): a buffered
 *	read of uncached data can wait for its pages with IOCB_WAITQ
 *	callbacks instead of a thread.
 * AIORING_FILE_WAITQ: buffered reads of this file that would block use
 *	IOCB_WAITQ right now (BUF_RASYNC on a regular file, on a kernel with
 *	IOCB_WAITQ, and the module's no_waitq parameter off); without it they
 *	go to the worker pool.
 * AIORING_FILE_BUF_WASYNC: buffered writes may be tried with IOCB_NOWAIT
 *	(FMODE_BUF_WASYNC / FOP_BUFFER_WASYNC); without it they go to a
 *	worker at once.
 * AIORING_FILE_IOPOLL: the file can be polled (->iopoll), so O_DIRECT
 *	I/O on it works on an AIORING_SETUP_IOPOLL ring.
 */
#define AIORING_FILE_ASYNC		(1U << 0)
#define AIORING_FILE_NOWAIT		(1U << 1)
#define AIORING_FILE_BUF_RASYNC		(1U << 2)
#define AIORING_FILE_WAITQ		(1U << 3)
#define AIORING_FILE_BUF_WASYNC		(1U << 4)
#define AIORING_FILE_IOPOLL		(1U << 5)

#define AIORING_IOC_MAGIC	0xA9
#define AIORING_IOC_SETUP	_IOWR(AIORING_IOC_MAGIC, 1, struct aioring_params)
#define AIORING_IOC_ENTER	_IOW(AIORING_IOC_MAGIC, 2, struct aioring_enter_args)
#define AIORING_IOC_STATS	_IOR(AIORING_IOC_MAGIC, 3, struct aioring_stats)
#define AIORING_IOC_REGISTER	_IOW(AIORING_IOC_MAGIC, 4, struct aioring_register_args)
#define AIORING_IOC_PROBE_FILE	_IOWR(AIORING_IOC_MAGIC, 5, struct aioring_probe_file)

#ifdef __cplusplus
}
#endif

#endif /* _UAPI_LINUX_AIORING_H */
