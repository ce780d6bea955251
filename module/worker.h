/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_WORKER_H
#define AIOR_WORKER_H

#include <linux/seq_file.h>

#include "core.h"

struct aior_worker_state {
	const struct cred	*old_creds;
	struct mm_struct	*mm;
};

extern unsigned int aior_max_workers_cap;
extern unsigned int aior_max_workers_per_user;
extern unsigned int aior_max_rings_per_user;

/* Ring setup and teardown of the pool. */
void aior_wpool_init(struct aior_ctx *ctx);
int aior_wpool_setup(struct aior_ctx *ctx, u32 *max_workers);
void aior_wpool_kill(struct aior_ctx *ctx);
void aior_wpool_grow(struct aior_ctx *ctx);
void aior_wpool_idle(struct aior_ctx *ctx);
void aior_wpool_show(struct seq_file *m, struct aior_ctx *ctx);

/* Threads of a ring: the SQ thread uses these too. */
int aior_thread_spawn(struct aior_ctx *ctx, int (*fn)(void *), const char *kind,
		      int cpu, struct task_struct **taskp);
void __noreturn aior_thread_exit(struct aior_ctx *ctx);
bool aior_thread_should_stop(struct aior_ctx *ctx);

/* Queueing work on the ring's own threads. */
void aior_punt(struct aior_req *req);
void aior_queue_retry(struct aior_req *req);
void aior_queue_fast(struct aior_ctx *ctx, struct aior_work *work);
void aior_work_init(struct aior_work *work, void (*fn)(struct aior_work *));
void aior_req_init_work(struct aior_req *req);
bool aior_worker_enter(struct aior_req *req, struct aior_worker_state *st);
void aior_worker_leave(struct aior_worker_state *st);

/* Per-user accounting: rings and blocking workers (module parameters). */
int aior_user_get(struct aior_ctx *ctx);
void aior_user_put(struct aior_ctx *ctx);

void aior_worker_module_exit(void);

#endif /* AIOR_WORKER_H */
