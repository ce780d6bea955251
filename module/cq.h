/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_CQ_H
#define AIOR_CQ_H

#include "core.h"

void aior_req_complete(struct aior_req *req, s32 res);
void aior_req_done(struct aior_req *req, s32 res);
void aior_req_put(struct aior_req *req);
u32 aior_cq_ready(struct aior_ctx *ctx);
void aior_sq_flags_update(struct aior_ctx *ctx, u32 flag, bool on);
bool aior_cq_overflow_flush(struct aior_ctx *ctx);
void aior_cq_overflow_drop_all(struct aior_ctx *ctx);
int aior_cq_wait(struct aior_ctx *ctx, u32 min_events,
		 const sigset_t __user *sig, size_t sigsz,
		 bool has_timeout, u64 timeout_ns);

extern struct kmem_cache *aior_req_cachep;
void aior_req_cache_free(struct aior_ctx *ctx);

#endif /* AIOR_CQ_H */
