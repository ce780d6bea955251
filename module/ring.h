/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_RING_H
#define AIOR_RING_H

#include "core.h"

int aior_ring_setup(struct aior_ctx *ctx, struct aioring_params *p);
int aior_ring_start(struct aior_ctx *ctx, struct aioring_params *p);
void aior_ring_free(struct aior_ctx *ctx);
int aior_ring_mmap(struct aior_ctx *ctx, struct vm_area_struct *vma);
int aior_account_mem(struct user_struct *user, unsigned long nr_pages);
void aior_unaccount_mem(struct user_struct *user, unsigned long nr_pages);

#endif /* AIOR_RING_H */
