/* vmdeck entry point: no arguments (or only --library DIR) opens the
 * dashboard (ui/), anything else is a subcommand (app/cli.c). */
#include <string.h>

#include "cli.h"
#include "ui.h"

int main(int argc, char **argv)
{
	char lib[4096];

	if (argc == 1)
		return ui_main(cli_library_dir(NULL, lib, sizeof(lib)));
	if (argc == 3 && !strcmp(argv[1], "--library"))
		return ui_main(cli_library_dir(argv[2], lib, sizeof(lib)));
	return cli_main(argc, argv);
}
