/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AIOR_INFO_H
#define AIOR_INFO_H

#include "core.h"

long aior_probe_file(void __user *uarg);

#endif /* AIOR_INFO_H */
