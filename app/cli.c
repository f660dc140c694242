#include <stdio.h>
#include "cli.h"

int cli_main(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "vmdeck: not yet\n");
	return 1;
}
