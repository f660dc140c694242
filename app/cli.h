/* Command-line dispatch: `vmdeck SUBCOMMAND ...`. */
#ifndef VMDECK_CLI_H
#define VMDECK_CLI_H

#include <stddef.h>

int cli_main(int argc, char **argv);
/* The VM library: dir if given, else $XDG_DATA_HOME/vmdeck, else
 * ~/.local/share/vmdeck. */
const char *cli_library_dir(const char *dir, char *out, size_t len);

int cmd_run(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_screenshot(int argc, char **argv);
int cmd_sendkey(int argc, char **argv);
/* snapshot, snapshots, restore, snapshot-rm, clone; -1 if cmd is none of them. */
int cmd_snapshot(const char *cmd, int argc, char **argv);

#endif
