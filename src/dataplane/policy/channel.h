/* SPDX-License-Identifier: BSD-3-Clause */
/* The dataplane's end of the policy-image channel (include/svr/shm.h), polled by the main lcore. */
#ifndef SVR_POLICY_CHANNEL_H
#define SVR_POLICY_CHANNEL_H

#include <stdint.h>

/* Opens the channel when it can, applies a newly published image, acknowledges or rejects it. */
void dp_channel_poll(uint64_t now_ms);
void dp_channel_close(void);
/* For the control socket. */
const char *dp_channel_name(void);
const char *dp_channel_last_error(void);

#endif
