/* SPDX-License-Identifier: BSD-3-Clause */
/* The operator API (api/operator.c; docs/conductor.md, "Operator API"). */
#ifndef SVR_CONDUCTOR_API_OPERATOR_H
#define SVR_CONDUCTOR_API_OPERATOR_H

/* Adds the operator routes (and GET /openapi.json) to the server; before it starts. */
void cd_operator_api_register(void);

#endif
