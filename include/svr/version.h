/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SVR_VERSION_H
#define SVR_VERSION_H
#define SVR_VERSION "0.1.0"
#endif
