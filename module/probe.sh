#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build-time probes of the target kernel's headers, in the manner of
# wireguard-linux-compat: each probe greps for the interface it needs and
# prints -DAIOR_HAVE_<NAME> when it is there. Kbuild adds the output to the
# compiler flags and module/compat.h turns the macros into small wrappers,
# so no other file looks at kernel versions.
#
# Usage: probe.sh <kernel source or headers tree>

tree="$1"
inc="$tree/include/linux"

have() {
	# have NAME FILE PATTERN
	if [ -f "$inc/$2" ] && grep -qE "$3" "$inc/$2"; then
		printf ' -DAIOR_HAVE_%s' "$1"
	fi
}

have IMPORT_UBUF	uio.h	'int import_ubuf\('
have VM_FLAGS_SET	mm.h	'static inline void vm_flags_set\('
have KI_COMPLETE_2ARG	fs.h	'void \(\*ki_complete\)\(struct kiocb \*iocb, long ret\);'
have FOP_BUFFER_RASYNC	fs.h	'define FOP_BUFFER_RASYNC'
have FMODE_BUF_RASYNC	fs.h	'define FMODE_BUF_RASYNC'
have IOCB_WAITQ		fs.h	'define IOCB_WAITQ'
have ITER_DEST		uio.h	'define ITER_DEST'
printf '\n'
