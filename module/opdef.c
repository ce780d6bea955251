// SPDX-License-Identifier: GPL-2.0
/*
 * The opcode table. Numbers are io_uring's (see uapi/aioring.h); a slot
 * without a prep handler is an opcode aioring does not implement.
 */
#include <linux/build_bug.h>
#include <linux/kernel.h>

#include <linux/nospec.h>

#include "opdef.h"
#include "poll.h"
#include "rw.h"

static const struct aior_op_def aior_op_defs[AIORING_OP_LAST] = {
	[AIORING_OP_NOP] = {
		.name		= "NOP",
		.prep		= aior_nop_prep,
		.issue		= aior_nop_issue,
	},
	[AIORING_OP_READV] = {
		.name		= "READV",
		.needs_file	= 1,
		.prep		= aior_rw_prep,
		.issue		= aior_read,
		.cleanup	= aior_rw_cleanup,
	},
	[AIORING_OP_WRITEV] = {
		.name		= "WRITEV",
		.needs_file	= 1,
		.hash_reg_file	= 1,
		.pollout	= 1,
		.prep		= aior_rw_prep,
		.issue		= aior_write,
		.cleanup	= aior_rw_cleanup,
	},
	[AIORING_OP_FSYNC] = {
		.name		= "FSYNC",
		.needs_file	= 1,
		.prep		= aior_fsync_prep,
		.issue		= aior_fsync,
	},
	[AIORING_OP_READ_FIXED] = {
		.name		= "READ_FIXED",
		.needs_file	= 1,
		.prep		= aior_rw_prep,
		.issue		= aior_read,
		.cleanup	= aior_rw_cleanup,
	},
	[AIORING_OP_WRITE_FIXED] = {
		.name		= "WRITE_FIXED",
		.needs_file	= 1,
		.hash_reg_file	= 1,
		.pollout	= 1,
		.prep		= aior_rw_prep,
		.issue		= aior_write,
		.cleanup	= aior_rw_cleanup,
	},
	[AIORING_OP_POLL_ADD] = {
		.name		= "POLL_ADD",
		.needs_file	= 1,
		.prep		= aior_poll_add_prep,
		.issue		= aior_poll_add,
	},
	[AIORING_OP_POLL_REMOVE] = {
		.name		= "POLL_REMOVE",
		.prep		= aior_poll_remove_prep,
		.issue		= aior_poll_remove,
	},
	[AIORING_OP_READ] = {
		.name		= "READ",
		.needs_file	= 1,
		.prep		= aior_rw_prep,
		.issue		= aior_read,
		.cleanup	= aior_rw_cleanup,
	},
	[AIORING_OP_WRITE] = {
		.name		= "WRITE",
		.needs_file	= 1,
		.hash_reg_file	= 1,
		.pollout	= 1,
		.prep		= aior_rw_prep,
		.issue		= aior_write,
		.cleanup	= aior_rw_cleanup,
	},
};

const struct aior_op_def *aior_op_def(u8 opcode)
{
	if (opcode >= ARRAY_SIZE(aior_op_defs))
		return NULL;
	/* The opcode comes from userspace: no speculation past the table. */
	opcode = array_index_nospec(opcode, ARRAY_SIZE(aior_op_defs));
	if (!aior_op_defs[opcode].prep)
		return NULL;
	return &aior_op_defs[opcode];
}

void aior_opdef_init(void)
{
	/* Every opcode has an entry; one with a prep has an issue (the table). */
	BUILD_BUG_ON(ARRAY_SIZE(aior_op_defs) != AIORING_OP_LAST);
}
