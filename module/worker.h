/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_WORKER_H
#define AIOR_WORKER_H

#include "core.h"

struct aior_worker_state {
	const struct cred	*old_creds;
	struct mm_struct	*mm;
};

extern unsigned int aior_max_workers_cap;

int aior_wq_setup(struct aior_ctx *ctx, u32 *max_workers);
void aior_wq_destroy(struct aior_ctx *ctx);
void aior_punt(struct aior_req *req);
void aior_queue_retry(struct aior_req *req);
void aior_queue_nonblocking(struct work_struct *work);
void aior_req_init_work(struct aior_req *req);
bool aior_worker_enter(struct aior_req *req, struct aior_worker_state *st);
void aior_worker_leave(struct aior_worker_state *st);
int aior_worker_module_init(void);
void aior_worker_module_exit(void);

#endif /* AIOR_WORKER_H */
