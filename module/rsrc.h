/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_RSRC_H
#define AIOR_RSRC_H

#include "core.h"

long aior_register(struct aior_ctx *ctx, void __user *uarg);
void aior_rsrc_free(struct aior_ctx *ctx);
void aior_rsrc_free_locked(struct aior_ctx *ctx);
struct file *aior_fixed_file_get(struct aior_ctx *ctx, s32 index);
int aior_import_fixed(struct aior_req *req, int dir);
void aior_buf_table_put(struct aior_buf_table *tbl);
void aior_buf_table_put_any(struct aior_buf_table *tbl);
bool aior_is_ring_file(struct file *file);

#endif /* AIOR_RSRC_H */
