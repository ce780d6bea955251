/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_TEARDOWN_H
#define AIOR_TEARDOWN_H

#include "core.h"

void aior_ctx_init_teardown(struct aior_ctx *ctx);
void aior_ctx_watch_owner(struct aior_ctx *ctx);
void aior_ctx_kill(struct aior_ctx *ctx);
void aior_ctx_check_mm(struct aior_ctx *ctx);
int aior_ctx_check_caller(struct aior_ctx *ctx);
void aior_ctx_flush(struct aior_ctx *ctx, struct file *file);
void aior_ring_vm_close(struct vm_area_struct *vma);
void aior_ctx_release(struct aior_ctx *ctx);
void aior_ctx_destroy(struct aior_ctx *ctx);
void aior_ctx_free_work(struct work_struct *work);
void aior_teardown_queue(struct work_struct *work);
int aior_teardown_module_init(void);
void aior_teardown_module_exit(void);

#endif /* AIOR_TEARDOWN_H */
