/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The difference between two models (or any two JSON documents) by JSON path, in the path
 * syntax of the validator: "authority.routers[2].interfaces[0].vlan".
 */
#ifndef SVR_MODEL_DIFF_H
#define SVR_MODEL_DIFF_H

#include <jansson.h>

/*
 * A new array of changes from a to b, each {"path", "op": "added"|"removed"|"changed", "from",
 * "to"} ("from" absent for added, "to" for removed). Arrays whose elements are all objects with
 * a string "name" (routers, interfaces, tenants...) are matched by name, so inserting one element
 * does not show every later one as changed: the path holds the index in b for added and changed
 * elements, in a for removed ones. Other arrays are compared element by element. The whole
 * document's path is "(top)". NULL when out of memory.
 */
json_t *svr_model_diff(const json_t *a, const json_t *b);

#endif
