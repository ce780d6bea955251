/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_POLL_H
#define AIOR_POLL_H

#include "core.h"

int aior_poll_add_prep(struct aior_req *req, const struct aioring_sqe *sqe);
int aior_poll_add(struct aior_req *req, unsigned int issue_flags);
int aior_poll_remove_prep(struct aior_req *req, const struct aioring_sqe *sqe);
int aior_poll_remove(struct aior_req *req, unsigned int issue_flags);
void aior_poll_cancel_all(struct aior_ctx *ctx);
int aior_apoll_arm(struct aior_req *req, __poll_t events);
bool aior_is_signalfd(struct file *file);

#endif /* AIOR_POLL_H */
