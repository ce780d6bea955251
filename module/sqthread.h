/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_SQTHREAD_H
#define AIOR_SQTHREAD_H

#include "core.h"

extern unsigned int aior_max_sq_idle_ms;

int aior_sq_thread_check(struct aior_ctx *ctx, struct aioring_params *p);
int aior_sq_thread_create(struct aior_ctx *ctx);
void aior_sq_thread_wake(struct aior_ctx *ctx);
void aior_sq_room_wake(struct aior_ctx *ctx);

#endif /* AIOR_SQTHREAD_H */
