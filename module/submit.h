/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_SUBMIT_H
#define AIOR_SUBMIT_H

#include "core.h"

long aior_enter(struct aior_ctx *ctx, void __user *uarg);
int aior_submit_sqes(struct aior_ctx *ctx, u32 nr);
void aior_apoll_ready(struct aior_req *req);

#endif /* AIOR_SUBMIT_H */
