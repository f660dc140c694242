/* Subcommand dispatch; see cli.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_vm.h"
#include "imgtool.h"

static const char usage[] =
"usage: vmdeck [--library DIR]            open the dashboard\n"
"       vmdeck COMMAND [ARGS]\n"
"\n"
"commands:\n"
"  run FILE.ini|NAME|--kernel PATH   run one VM in the foreground (serial on stdio)\n"
"  create NAME --template T [...]   define a VM in the library\n"
"  start|stop|pause|resume|kill NAME   control a VM running as its own process\n"
"  stop NAME --save                 suspend to file; the next start resumes\n"
"  ls [--json]                      list VMs and their state\n"
"  console NAME                     attach to a VM's serial console (Ctrl-] detaches)\n"
"  stats NAME [--json] [--watch]    per-vCPU exit statistics\n"
"  rm NAME                          delete a stopped VM\n"
"  snapshot NAME [TAG]              snapshot a running VM (it keeps running)\n"
"  snapshots NAME [--json]          list a VM's snapshots as a tree\n"
"  restore NAME TAG                 jump back to a snapshot (a stopped VM starts from it)\n"
"  snapshot-rm NAME TAG             delete a snapshot nothing depends on\n"
"  clone SRC DST [--linked|--full] [--from-snapshot TAG]   copy a VM (running or not)\n"
"  screenshot NAME FILE.png         save a running VM's screen\n"
"  sendkey NAME KEYS                press keys on its keyboard (e.g. ctrl-alt-delete)\n"
"  img create|info|check|convert|commit|rebase|bench   disk image tool\n"
"  doctor                           check that this machine can run VMs\n"
"  help                             this text\n"
"\n"
"`vmdeck COMMAND --help` describes each command.\n";

const char *cli_library_dir(const char *dir, char *out, size_t len)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (dir && *dir)
		snprintf(out, len, "%s", dir);
	else if (xdg && *xdg)
		snprintf(out, len, "%s/vmdeck", xdg);
	else
		snprintf(out, len, "%s/.local/share/vmdeck", home && *home ? home : "/root");
	return out;
}

int cli_main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(usage, stderr);
		return 1;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "doctor"))
		return cmd_doctor(argc - 1, argv + 1);
	{
		int r = cmd_vm(cmd, argc - 1, argv + 1);
		if (r >= 0)
			return r;
	}
	{
		int r = cmd_snapshot(cmd, argc - 1, argv + 1);
		if (r >= 0)
			return r;
	}
	if (!strcmp(cmd, "img"))
		return imgtool_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "screenshot"))
		return cmd_screenshot(argc - 1, argv + 1);
	if (!strcmp(cmd, "sendkey"))
		return cmd_sendkey(argc - 1, argv + 1);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		puts("vmdeck 0.1.0");
		return 0;
	}
	fprintf(stderr, "vmdeck: unknown command '%s'\n\n%s", cmd, usage);
	return 1;
}
