/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_RW_H
#define AIOR_RW_H

#include "core.h"

int aior_nop_prep(struct aior_req *req, const struct aioring_sqe *sqe);
int aior_nop_issue(struct aior_req *req, unsigned int issue_flags);
int aior_rw_prep(struct aior_req *req, const struct aioring_sqe *sqe);
int aior_read(struct aior_req *req, unsigned int issue_flags);
int aior_write(struct aior_req *req, unsigned int issue_flags);
void aior_rw_cleanup(struct aior_req *req);
int aior_fsync_prep(struct aior_req *req, const struct aioring_sqe *sqe);
int aior_fsync(struct aior_req *req, unsigned int issue_flags);

extern bool aior_no_waitq;
void aior_rw_iopoll_done(struct aior_req *req);

#endif /* AIOR_RW_H */
