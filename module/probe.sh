#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build-time probes of the target kernel's headers, in the manner of
# wireguard-linux-compat: each probe greps for the interface it needs and
# prints -DAIOR_HAVE_<NAME> when it is there. Kbuild adds the output to the
# compiler flags and module/compat.h turns the macros into small wrappers,
# so no other file looks at kernel versions.
#
# The names found are also printed as one string, AIOR_FEATURES, which the
# module reports (modinfo -F features, /sys/module/aioring/parameters/features)
# so aioring-info(1) can say what the build saw.
#
# Usage: probe.sh <kernel source or headers tree> [<object tree>]
# The object tree (kbuild's objtree) holds Module.symvers, for the probes of
# what the kernel exports.

tree="$1"
objtree="${2:-$1}"
inc="$tree/include/linux"
found=""

exports() {
	# exports NAME SYMBOL: the kernel exports SYMBOL (Module.symvers)
	if [ -f "$objtree/Module.symvers" ] &&
		awk -v s="$2" '$2 == s { f = 1 } END { exit !f }' "$objtree/Module.symvers"; then
		printf ' -DAIOR_HAVE_%s' "$1"
		found="$found${found:+ }$1"
	fi
}

have() {
	# have NAME "FILE..." PATTERN: any of the files (under include/linux)
	name=$1 files=$2 pattern=$3
	for f in $files; do
		if [ -f "$inc/$f" ] && grep -qE "$pattern" "$inc/$f"; then
			printf ' -DAIOR_HAVE_%s' "$name"
			found="$found${found:+ }$name"
			return
		fi
	done
}

have IMPORT_UBUF	uio.h	'int import_ubuf\('
have VM_FLAGS_SET	mm.h	'static inline void vm_flags_set\('
have KI_COMPLETE_2ARG	fs.h	'void \(\*ki_complete\)\(struct kiocb \*iocb, long ret\);'
have FOP_BUFFER_RASYNC	fs.h	'define FOP_BUFFER_RASYNC'
have FMODE_BUF_RASYNC	fs.h	'define FMODE_BUF_RASYNC'
have FOP_BUFFER_WASYNC	fs.h	'define FOP_BUFFER_WASYNC'
have FMODE_BUF_WASYNC	fs.h	'define FMODE_BUF_WASYNC'
have IOCB_WAITQ		fs.h	'define IOCB_WAITQ'
have ITER_DEST		uio.h	'define ITER_DEST'
# 5.16 gave ->iopoll a completion batch and flags instead of 'bool spin'.
have IOPOLL_COMP_BATCH	fs.h	'int \(\*iopoll\)\(struct kiocb \*kiocb, struct io_comp_batch'
# The series that moved freeze protection into vfs_iocb_iter_write() (v6.8,
# backported to 6.6.y) also added __sb_write_started(). The move changed
# behaviour behind an unchanged prototype; this helper is its visible mark.
# (kiocb_start_write() alone is no mark: 6.1.y got it without the move.)
have VFS_WRITE_TAKES_FREEZE "fs.h fs/super.h" 'int __sb_write_started\('
# 5.10's set_active_memcg() refers to int_active_memcg, which it does not
# export (5.11 does).
exports INT_ACTIVE_MEMCG int_active_memcg
# module_put_and_kthread_exit() is 5.17's name (Debian's 5.10 has it too).
have MODULE_PUT_AND_KTHREAD_EXIT module.h 'define module_put_and_kthread_exit'
# 6.5 dropped the vmas argument of pin_user_pages(): is it in the
# prototype, which spans lines?
if [ -f "$inc/mm.h" ] && awk '/^long pin_user_pages\(/ { p = 1 }
	p { s = s $0; if ($0 ~ /\);/) exit }
	END { exit !(s ~ /vmas/) }' "$inc/mm.h"; then
	printf ' -DAIOR_HAVE_%s' PIN_USER_PAGES_VMAS
	found="$found${found:+ }PIN_USER_PAGES_VMAS"
fi
# Single quotes keep the string one word through kbuild's shell.
printf " '-DAIOR_FEATURES=\"%s\"'\n" "$found"
