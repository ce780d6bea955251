/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_IOPOLL_H
#define AIOR_IOPOLL_H

#include "core.h"

int aior_iopoll_reap(struct aior_ctx *ctx, bool spin);
int aior_iopoll_wait(struct aior_ctx *ctx, u32 min_events, bool has_timeout,
		     u64 timeout_ns);
void aior_iopoll_drain(struct aior_ctx *ctx);

#endif /* AIOR_IOPOLL_H */
