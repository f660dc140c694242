/* Debug console 0xE9 and debug exit 0xF4. */
#include <criterion/criterion.h>

#include "console.h"
#include "dev/debugport.h"
#include "dev_test_util.h"

struct exit_rec {
	unsigned calls;
	uint32_t code;
};

static void on_exit_rec(void *opaque, uint32_t code)
{
	struct exit_rec *r = opaque;
	r->calls++;
	r->code = code;
}

Test(debugport, console_bytes_and_signature)
{
	struct console con;
	struct debugport d;
	uint8_t out[16];
	uint8_t w[2] = { 'B', 'x' };

	console_init(&con);
	cr_assert_eq(debugport_init(&d, &con, NULL, NULL), 0);
	dev_out8(&debugport_con_ops, &d, 0, 'O');
	dev_out8(&debugport_con_ops, &d, 0, 'K');
	debugport_con_ops.write(&d, 0, w, 2); /* wide write: low byte only */
	cr_assert_eq(console_tail(&con, out, sizeof(out)), 3);
	cr_assert_eq(memcmp(out, "OKB", 3), 0);
	cr_assert_eq(d.con_bytes, 3);
	cr_assert_eq(dev_in8(&debugport_con_ops, &d, 0), 0xE9);
	debugport_destroy(&d);
	console_destroy(&con);
}

Test(debugport, exit_byte)
{
	struct debugport d;
	struct exit_rec r = { 0 };
	uint32_t code = 99;

	debugport_init(&d, NULL, on_exit_rec, &r);
	cr_assert_not(debugport_exit_requested(&d, &code));
	dev_out8(&debugport_exit_ops, &d, 0, 7);
	cr_assert_eq(r.calls, 1);
	cr_assert_eq(r.code, 7);
	cr_assert(debugport_exit_requested(&d, &code));
	cr_assert_eq(code, 7);
	debugport_destroy(&d);
}

Test(debugport, exit_dword_and_first_wins)
{
	struct debugport d;
	struct exit_rec r = { 0 };
	uint32_t code;

	debugport_init(&d, NULL, on_exit_rec, &r);
	dev_out32(&debugport_exit_ops, &d, 0, 0x12345678);
	dev_out8(&debugport_exit_ops, &d, 0, 1); /* a second vCPU racing */
	cr_assert_eq(r.calls, 1);
	cr_assert(debugport_exit_requested(&d, &code));
	cr_assert_eq(code, 0x12345678);
	cr_assert_eq(d.exit_writes, 2);
	debugport_reset(&d);
	cr_assert_not(debugport_exit_requested(&d, NULL));
	dev_out8(&debugport_exit_ops, &d, 3, 0); /* any offset, value 0 */
	cr_assert_eq(r.calls, 2);
	cr_assert(debugport_exit_requested(&d, &code));
	cr_assert_eq(code, 0);
	cr_assert_eq(dev_in8(&debugport_exit_ops, &d, 0), 0);
	debugport_destroy(&d);
}

Test(debugport, no_callback)
{
	struct debugport d;

	debugport_init(&d, NULL, NULL, NULL);
	dev_out8(&debugport_con_ops, &d, 0, 'x');
	dev_out8(&debugport_exit_ops, &d, 0, 3);
	cr_assert(debugport_exit_requested(&d, NULL));
	debugport_destroy(&d);
}
