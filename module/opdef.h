/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_OPDEF_H
#define AIOR_OPDEF_H

#include "core.h"

/*
 * How one opcode is executed. prep() validates the copied SQE and fills
 * the request; it must reject every field the opcode does not use. issue()
 * runs the request and returns its result, or -EIOCBQUEUED once something
 * else has taken over the completion.
 */
struct aior_op_def {
	const char	*name;
	unsigned int	needs_file : 1;
	int		(*prep)(struct aior_req *req,
				const struct aioring_sqe *sqe);
	int		(*issue)(struct aior_req *req);
	void		(*cleanup)(struct aior_req *req);
};

const struct aior_op_def *aior_op_def(u8 opcode);
void aior_opdef_init(void);

#endif /* AIOR_OPDEF_H */
