/* hello: banner and command line on COM1, then exit 0 (or exit=N). */
#include "rt.h"

void guest_main(void)
{
	kprintf("vmdeck hello guest\n");
	kprintf("cmdline: %s\n", boot.cmdline);
	rt_exit((uint32_t)cmdline_u64("exit", 0));
}
