/* SPDX-License-Identifier: BSD-3-Clause */
#include "flow/state.h"

struct dp_sessions dp_sess;
