/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SVR_FSUTIL_H
#define SVR_FSUTIL_H

#include <sys/types.h>

/* mkdir -p: parents 0755, the last directory with mode; 0, or -1 with errno. */
int svr_mkdir_p(const char *path, mode_t mode);

#endif
