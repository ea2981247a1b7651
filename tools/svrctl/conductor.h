/* SPDX-License-Identifier: BSD-3-Clause */
/* svrctl conductor (conductor.c): the operator's commands for svr-conductor. */
#ifndef SVRCTL_CONDUCTOR_H
#define SVRCTL_CONDUCTOR_H

extern const char conductor_help[];

/* argv[0] is "conductor"; returns the exit status. */
int conductor_main(int argc, char **argv);

#endif
