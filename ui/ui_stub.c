#include "ui.h"
int ui_main(const char *library_dir)
{
	(void)library_dir;
	return 1;
}
