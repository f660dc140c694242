/* Subcommands that manage library VMs and VM processes (cmd_vm.c, cmd_ls.c,
 * cmd_console.c, cmd_stats.c). */
#ifndef VMDECK_CMD_VM_H
#define VMDECK_CMD_VM_H

#include "vmlib.h"

/* Runs `vmdeck CMD ...` (argv[0] is CMD) if CMD is one of start, stop,
 * pause, resume, kill, create, rm, ls, console, stats or the hidden
 * __vm-process; returns -1 if it is not. */
int cmd_vm(const char *cmd, int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_stats(int argc, char **argv);
/* vmlib_open with a message on failure; 0 or 1 (exit status). */
int cmd_open_library(const char *library, struct vmlib *lib, const char *prog);

#endif
