/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_SQTHREAD_H
#define AIOR_SQTHREAD_H

#include "core.h"

int aior_sq_thread_create(struct aior_ctx *ctx, struct aioring_params *p);
void aior_sq_thread_start(struct aior_ctx *ctx);
void aior_sq_thread_stop(struct aior_ctx *ctx);
void aior_sq_thread_wake(struct aior_ctx *ctx);

#endif /* AIOR_SQTHREAD_H */
