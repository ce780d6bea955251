/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_OPDEF_H
#define AIOR_OPDEF_H

#include "core.h"

/*
 * How one opcode is executed. prep() validates the copied SQE and fills
 * the request; it must reject every field the opcode does not use. issue()
 * runs the request and returns its result, or -EIOCBQUEUED once something
 * else (ki_complete, a page callback, a worker) has taken over the
 * completion. Called with AIOR_ISSUE_NONBLOCK, it returns -EAGAIN instead
 * of blocking, and the request goes to a worker.
 */
struct aior_op_def {
	const char	*name;
	unsigned int	needs_file : 1;
	/* Punted buffered I/O on a regular file serialises per inode. */
	unsigned int	hash_reg_file : 1;
	/* On a pollable file, waits for POLLOUT (else POLLIN) after -EAGAIN. */
	unsigned int	pollout : 1;
	int		(*prep)(struct aior_req *req,
				const struct aioring_sqe *sqe);
	/* @issue_flags: AIOR_ISSUE_*; -EAGAIN when NONBLOCK means "punt me" */
	int		(*issue)(struct aior_req *req, unsigned int issue_flags);
	void		(*cleanup)(struct aior_req *req);
};

const struct aior_op_def *aior_op_def(u8 opcode);
void aior_opdef_init(void);

#endif /* AIOR_OPDEF_H */
