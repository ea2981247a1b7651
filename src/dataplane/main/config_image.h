/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transitional: a startup file that still lists interfaces, routes and
 * neighbours is turned into a policy image (generation 0) and applied like
 * one from svr-control, through the same path. A published image replaces it.
 */
#ifndef SVR_CONFIG_IMAGE_H
#define SVR_CONFIG_IMAGE_H

#include <stddef.h>

#include "main/config.h"

int dp_config_to_image(const struct dp_config *c, void **img, size_t *len);

#endif
