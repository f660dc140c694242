/* Test helper: the `vmdeck img` tool as a standalone program, so interop
 * tests do not depend on the main binary. argv[0] becomes "img". */
#include "imgtool.h"

int main(int argc, char **argv)
{
	argv[0] = "img";
	return imgtool_main(argc, argv);
}
