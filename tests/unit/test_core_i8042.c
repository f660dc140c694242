/* i8042 controller, PS/2 keyboard and mouse: command set, Linux's probe
 * sequences, translation, packets, queue bounds, interrupts. */
#include <errno.h>

#include <criterion/criterion.h>

#include "dev/i8042.h"
#include "dev_test_util.h"

static struct i8042 c;
static struct irq_rec rec;
static unsigned resets;

static void on_reset(void *opaque)
{
	(*(unsigned *)opaque)++;
}

static void setup(void)
{
	struct irq_sink sink = irq_rec_sink(&rec);

	resets = 0;
	cr_assert_eq(i8042_init(&c, &sink, 1, 12, on_reset, &resets), 0);
}

static void teardown(void)
{
	i8042_destroy(&c);
}

static uint8_t status(void)
{
	return dev_in8(&i8042_cmd_ops, &c, 0);
}

static void cmd(uint8_t v)
{
	dev_out8(&i8042_cmd_ops, &c, 0, v);
}

static void dataw(uint8_t v)
{
	dev_out8(&i8042_data_ops, &c, 0, v);
}

static uint8_t datar(void)
{
	return dev_in8(&i8042_data_ops, &c, 0);
}

/* Reads one byte, asserting it is there and from the expected port. */
static uint8_t take(bool aux)
{
	uint8_t st = status();

	cr_assert(st & I8042_STR_OBF, "output buffer empty");
	cr_assert_eq(!!(st & I8042_STR_AUXDATA), aux, "byte from the wrong port");
	return datar();
}

static void expect_bytes(bool aux, const uint8_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b = take(aux);
		cr_assert_eq(b, want[i], "byte %zu: got %02x want %02x", i, b, want[i]);
	}
	cr_assert_eq(status() & I8042_STR_OBF, 0, "extra bytes after %zu", n);
}

#define EXPECT(aux, ...)                                                   \
	do {                                                               \
		const uint8_t w_[] = { __VA_ARGS__ };                      \
		expect_bytes(aux, w_, sizeof(w_));                         \
	} while (0)

/* i8042_command() in Linux: command, parameters, replies. */
static uint8_t ctl(uint8_t command)
{
	cmd(command);
	return take(command == 0xD3);
}

static void aux_send(uint8_t v)
{
	cmd(0xD4);
	dataw(v);
}

static void flush(void)
{
	for (int i = 0; i < 600 && (status() & I8042_STR_OBF); i++)
		datar();
}

TestSuite(i8042, .init = setup, .fini = teardown);

Test(i8042, power_on_state)
{
	cr_assert_eq(status(), I8042_STR_KEYLOCK | I8042_STR_SYS);
	cr_assert_eq(ctl(0x20), I8042_CTR_POWERON);
	cr_assert(status() & I8042_STR_CMDDAT, "A2 set after a command write");
	dataw(0xF4); /* to the keyboard */
	cr_assert_eq(status() & I8042_STR_CMDDAT, 0);
	flush();
}

Test(i8042, self_and_port_tests)
{
	cr_assert_eq(ctl(0xAA), 0x55);
	cr_assert_eq(ctl(0xAB), 0x00);
	cr_assert_eq(ctl(0xA9), 0x00);
	cr_assert_eq(status() & I8042_STR_OBF, 0);
}

Test(i8042, config_byte_rw_and_sys_flag)
{
	cmd(0x60);
	dataw(0x00);
	cr_assert_eq(ctl(0x20), 0x00);
	cr_assert_eq(status() & I8042_STR_SYS, 0);
	cmd(0x60);
	dataw(0x47);
	cr_assert_eq(ctl(0x20), 0x47);
	cr_assert(status() & I8042_STR_SYS);
	/* Other RAM bytes are plain storage. */
	cmd(0x65);
	dataw(0x99);
	cr_assert_eq(ctl(0x25), 0x99);
	cr_assert_eq(ctl(0x20), 0x47);
}

Test(i8042, enable_disable_ports)
{
	cmd(0xA8);
	cr_assert_eq(ctl(0x20) & I8042_CTR_AUXDIS, 0);
	cmd(0xA7);
	cr_assert(ctl(0x20) & I8042_CTR_AUXDIS);
	cmd(0xAD);
	cr_assert(ctl(0x20) & I8042_CTR_KBDDIS);
	cmd(0xAE);
	cr_assert_eq(ctl(0x20) & I8042_CTR_KBDDIS, 0);
}

Test(i8042, ports_and_unknown_commands)
{
	struct i8042_stats st;

	cr_assert_eq(ctl(0xC0), 0x80);
	cr_assert_eq(ctl(0xD0) & 0x03, 0x03, "reset inactive, A20 on");
	cmd(0xD2);
	dataw(0x11);
	cmd(0xD0); /* output port while a keyboard byte is waiting */
	cr_assert_eq(take(false), 0x11);
	cr_assert_eq(take(false) & 0x30, 0x10, "kbd OBF reported in output port");
	cmd(0x01);
	cmd(0xC8);
	cmd(0xA1);
	cr_assert_eq(status() & I8042_STR_OBF, 0);
	i8042_get_stats(&c, &st);
	cr_assert_eq(st.unknown_cmds, 3);
	cr_assert_eq(st.first_unknown_cmd, 0x01);
	/* Garbage does not leave the controller waiting for data. */
	dataw(0xF2);
	EXPECT(false, 0xFA, 0xAB, 0x41);
}

Test(i8042, reset_requests)
{
	cmd(0xD1);
	dataw(0xDF); /* A20 on, reset high: Linux's A20 gate */
	cr_assert_eq(resets, 0);
	cr_assert_eq(ctl(0xD0) & 0x02, 0x02);
	cmd(0xFF); /* pulse nothing */
	cr_assert_eq(resets, 0);
	cmd(0xFE);
	cr_assert_eq(resets, 1);
	cmd(0xD1);
	dataw(0xDE);
	cr_assert_eq(resets, 2);
	cmd(0xF0);
	cr_assert_eq(resets, 3);
}

Test(i8042, write_output_buffers_and_irqs)
{
	cmd(0x60);
	dataw(I8042_CTR_KBDINT | I8042_CTR_AUXINT | I8042_CTR_XLATE);
	cmd(0xD2);
	dataw(0x1C); /* controller bytes are not translated */
	cr_assert_eq(rec.level[1], 1);
	cr_assert_eq(rec.level[12], 0);
	cr_assert_eq(take(false), 0x1C);
	cr_assert_eq(rec.level[1], 0);
	cmd(0xD3);
	dataw(0x5a);
	cr_assert_eq(rec.level[12], 1);
	cr_assert_eq(take(true), 0x5a);
	cr_assert_eq(rec.level[12], 0);
}

Test(i8042, irq_needs_config_enable)
{
	cmd(0x60);
	dataw(0x00);
	cmd(0xD2);
	dataw(0x42);
	cr_assert_eq(rec.rises[1], 0);
	cmd(0x60); /* enabling the interrupt with a byte waiting raises it */
	dataw(I8042_CTR_KBDINT);
	cr_assert_eq(rec.level[1], 1);
	datar();
}

/* The whole of Linux's i8042_init path with a keyboard and a mouse. */
Test(i8042, linux_probe_sequence)
{
	uint8_t ctr0, ctr1, param;
	unsigned rises;

	/* i8042_controller_check: flush. */
	flush();
	/* i8042_controller_init: stable CTR, keyboard off. */
	ctr0 = ctl(0x20);
	ctr1 = ctl(0x20);
	cr_assert_eq(ctr0, ctr1);
	cr_assert(status() & I8042_STR_KEYLOCK);
	cr_assert(ctr0 & I8042_CTR_XLATE, "translated mode from the 'BIOS'");
	ctr0 |= I8042_CTR_KBDDIS;
	ctr0 &= (uint8_t)~I8042_CTR_KBDINT;
	cmd(0x60);
	dataw(ctr0);
	flush();
	/* i8042_controller_selftest. */
	cr_assert_eq(ctl(0xAA), 0x55);
	/* i8042_check_mux: F0, 56, A4 echoed means no active MUX. */
	cmd(0xD3);
	dataw(0xF0);
	cr_assert_eq(take(true), 0xF0);
	cmd(0xD3);
	dataw(0x56);
	cr_assert_eq(take(true), 0x56);
	cmd(0xD3);
	dataw(0xA4);
	cr_assert_eq(take(true), 0xA4);
	/* i8042_check_aux: loopback, toggle AUXDIS, IRQ delivery test. */
	cmd(0xD3);
	dataw(0x5a);
	cr_assert_eq(take(true), 0x5a);
	cmd(0xA7);
	cr_assert(ctl(0x20) & I8042_CTR_AUXDIS);
	cmd(0xA8);
	param = ctl(0x20);
	cr_assert_eq(param & I8042_CTR_AUXDIS, 0);
	ctr0 = (uint8_t)((param & ~I8042_CTR_AUXDIS) | I8042_CTR_AUXINT);
	cmd(0x60);
	dataw(ctr0);
	cmd(0xD3);
	dataw(0xa5);
	cr_assert_eq(rec.level[12], 1, "AUX IRQ delivered");
	cr_assert_eq(take(true), 0xa5);
	/* i8042_enable_kbd_port. */
	ctr0 = (uint8_t)((ctr0 & ~I8042_CTR_KBDDIS) | I8042_CTR_KBDINT);
	cmd(0x60);
	dataw(ctr0);

	/* atkbd_probe: GETID (translated: AB 41), F5, set LEDs, F3, F4. */
	rises = rec.rises[1];
	dataw(0xF2);
	EXPECT(false, 0xFA, 0xAB, 0x41);
	cr_assert_eq(rec.rises[1], rises + 3, "one IRQ1 edge per byte");
	dataw(0xF5);
	EXPECT(false, 0xFA);
	dataw(0xED);
	EXPECT(false, 0xFA);
	dataw(0x00);
	EXPECT(false, 0xFA);
	dataw(0xF3);
	EXPECT(false, 0xFA);
	dataw(0x00);
	EXPECT(false, 0xFA);
	dataw(0xF4);
	EXPECT(false, 0xFA);

	/* psmouse_probe: reset, GETID, IntelliMouse knock, enable. */
	aux_send(0xFF);
	EXPECT(true, 0xFA, 0xAA, 0x00);
	aux_send(0xF2);
	EXPECT(true, 0xFA, 0x00);
	aux_send(0xF6);
	EXPECT(true, 0xFA);
	/* synaptics_detect: E8 00 x4, E9: byte 1 must not be 0x47. */
	for (int i = 0; i < 4; i++) {
		aux_send(0xE8);
		aux_send(0x00);
	}
	EXPECT(true, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA);
	aux_send(0xE9);
	EXPECT(true, 0xFA, 0x00, 0x00, 100);
	for (unsigned i = 0; i < 3; i++) {
		static const uint8_t knock[3] = { 200, 100, 80 };
		aux_send(0xF3);
		aux_send(knock[i]);
	}
	EXPECT(true, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA);
	aux_send(0xF2);
	EXPECT(true, 0xFA, 0x03);
	/* im_explorer_detect knock (200, 200, 80) keeps ID 3. */
	for (unsigned i = 0; i < 3; i++) {
		static const uint8_t knock[3] = { 200, 200, 80 };
		aux_send(0xF3);
		aux_send(knock[i]);
	}
	flush();
	aux_send(0xF2);
	EXPECT(true, 0xFA, 0x03);
	aux_send(0xF6);
	aux_send(0xF4);
	EXPECT(true, 0xFA, 0xFA);
	cr_assert_eq(i8042_mouse_event(&c, 1, 0, 0, 0), 0);
	EXPECT(true, 0x08, 0x01, 0x00, 0x00);
	cr_assert_eq(resets, 0);
}

Test(i8042, keyboard_commands_untranslated)
{
	cmd(0x60);
	dataw(0x00);
	dataw(0xFF);
	EXPECT(false, 0xFA, 0xAA);
	dataw(0xF2);
	EXPECT(false, 0xFA, 0xAB, 0x83);
	dataw(0xF0);
	dataw(0x00);
	EXPECT(false, 0xFA, 0xFA, 0x02);
	dataw(0xF0);
	dataw(0x01);
	dataw(0xF0);
	dataw(0x00);
	EXPECT(false, 0xFA, 0xFA, 0xFA, 0xFA, 0x01);
	dataw(0xF0);
	dataw(0x07); /* no such set */
	EXPECT(false, 0xFA, 0xFE);
	dataw(0xED);
	dataw(0x07);
	EXPECT(false, 0xFA, 0xFA);
	cr_assert_eq(c.kbd.leds, 7);
	dataw(0xF3);
	dataw(0x20);
	EXPECT(false, 0xFA, 0xFA);
	cr_assert_eq(c.kbd.typematic, 0x20);
	dataw(0xEE);
	EXPECT(false, 0xEE);
	dataw(0xF6);
	dataw(0xF5);
	dataw(0xF4);
	EXPECT(false, 0xFA, 0xFA, 0xFA);
	dataw(0xFE);
	EXPECT(false, 0xFA);
	dataw(0x42); /* not a command */
	dataw(0xEF);
	EXPECT(false, 0xFE, 0xFE);
	/* A command instead of the LED argument runs as a command. */
	dataw(0xED);
	dataw(0xF2);
	EXPECT(false, 0xFA, 0xFA, 0xAB, 0x83);
}

Test(i8042, keyboard_disabled_clock_holds_bytes)
{
	const uint8_t a[] = { 0x1C };

	cmd(0xAD);
	cr_assert_eq(i8042_kbd_set2(&c, a, 1), 0);
	cr_assert_eq(status() & I8042_STR_OBF, 0);
	cmd(0xAE);
	EXPECT(false, 0x1E);
}

Test(i8042, translation_on)
{
	const uint8_t a_make[] = { 0x1C }, a_break[] = { 0xF0, 0x1C };
	const uint8_t left[] = { 0xE0, 0x6B }, left_up[] = { 0xE0, 0xF0, 0x6B };
	const uint8_t pause[] = { 0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77 };
	const uint8_t f7[] = { 0x83 };

	cr_assert_eq(i8042_kbd_set2(&c, a_make, sizeof(a_make)), 0);
	cr_assert_eq(i8042_kbd_set2(&c, a_break, sizeof(a_break)), 0);
	EXPECT(false, 0x1E, 0x9E);
	i8042_kbd_set2(&c, left, sizeof(left));
	i8042_kbd_set2(&c, left_up, sizeof(left_up));
	EXPECT(false, 0xE0, 0x4B, 0xE0, 0xCB);
	i8042_kbd_set2(&c, pause, sizeof(pause));
	EXPECT(false, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5);
	i8042_kbd_set2(&c, f7, 1);
	EXPECT(false, 0x41);
}

Test(i8042, translation_off)
{
	const uint8_t left_up[] = { 0xE0, 0xF0, 0x6B };

	cmd(0x60);
	dataw(I8042_CTR_KBDINT);
	i8042_kbd_set2(&c, left_up, sizeof(left_up));
	EXPECT(false, 0xE0, 0xF0, 0x6B);
}

Test(i8042, keyboard_set1_without_translation)
{
	const uint8_t a_break[] = { 0xF0, 0x1C };

	cmd(0x60);
	dataw(0x00);
	dataw(0xF0);
	dataw(0x01);
	flush();
	i8042_kbd_set2(&c, a_break, sizeof(a_break));
	EXPECT(false, 0x9E);
}

Test(i8042, key_irq_edges)
{
	const uint8_t a[] = { 0x1C, 0xF0, 0x1C };

	i8042_kbd_set2(&c, a, sizeof(a));
	cr_assert_eq(rec.rises[1], 1);
	cr_assert_eq(datar(), 0x1E);
	cr_assert_eq(rec.rises[1], 2, "next byte: a new edge");
	cr_assert_eq(datar(), 0x9E);
	cr_assert_eq(rec.level[1], 0);
	/* Re-reading an empty buffer returns the last byte, no edge. */
	cr_assert_eq(datar(), 0x9E);
	cr_assert_eq(rec.rises[1], 2);
}

Test(i8042, keyboard_scanning_disabled)
{
	const uint8_t a[] = { 0x1C };
	struct i8042_stats st;

	dataw(0xF5);
	flush();
	cr_assert_eq(i8042_kbd_set2(&c, a, 1), -EAGAIN);
	cr_assert_eq(status() & I8042_STR_OBF, 0);
	i8042_get_stats(&c, &st);
	cr_assert_eq(st.kbd_ignored, 1);
}

Test(i8042, key_flood_drops_and_acks_still_fit)
{
	const uint8_t a[] = { 0x1C, 0xF0, 0x1C };
	struct i8042_stats st;
	int ok = 0, full = 0;

	for (int i = 0; i < 200; i++) {
		int r = i8042_kbd_set2(&c, a, sizeof(a));
		if (r == 0)
			ok++;
		else if (r == -ENOSPC)
			full++;
	}
	cr_assert_eq(ok, (PS2_QUEUE_SIZE - PS2_QUEUE_HEADROOM) / 3);
	cr_assert_eq(full, 200 - ok);
	i8042_get_stats(&c, &st);
	cr_assert_eq(st.kbd_dropped, (uint64_t)full * 3);
	/* A command reply still gets queued behind the flood. */
	dataw(0xEE);
	for (int i = 0; i < 1000 && (status() & I8042_STR_OBF); i++) {
		uint8_t b = datar();
		if (!(status() & I8042_STR_OBF))
			cr_assert_eq(b, 0xEE);
	}
}

Test(i8042, mouse_commands)
{
	cmd(0xA8);
	aux_send(0xFF);
	EXPECT(true, 0xFA, 0xAA, 0x00);
	aux_send(0xF3);
	aux_send(40);
	aux_send(0xE8);
	aux_send(3);
	aux_send(0xE7);
	aux_send(0xF4);
	EXPECT(true, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA);
	aux_send(0xE9);
	EXPECT(true, 0xFA, 0x30, 3, 40);
	aux_send(0xE6);
	aux_send(0xF5);
	aux_send(0xEA);
	EXPECT(true, 0xFA, 0xFA, 0xFA);
	aux_send(0xE9);
	EXPECT(true, 0xFA, 0x00, 3, 40);
	aux_send(0xF6);
	aux_send(0xE9);
	EXPECT(true, 0xFA, 0xFA, 0x00, 2, 100);
	aux_send(0x00); /* garbage */
	EXPECT(true, 0xFE);
	aux_send(0xEE); /* wrap mode echoes */
	aux_send(0x12);
	aux_send(0xEC);
	EXPECT(true, 0xFA, 0x12, 0xFA);
	cr_assert_eq(c.mouse.unknown_cmds, 1);
}

Test(i8042, mouse_packets)
{
	cmd(0xA8);
	aux_send(0xF4);
	EXPECT(true, 0xFA);
	/* Right by 5, down by 3 on screen = -3 in PS/2, left button. */
	cr_assert_eq(i8042_mouse_event(&c, 5, 3, 0, PS2MOUSE_BTN_LEFT), 0);
	EXPECT(true, 0x08 | 0x20 | 0x01, 0x05, 0xFD);
	/* Left and up, right+middle buttons. */
	i8042_mouse_event(&c, -2, -7, 0, PS2MOUSE_BTN_RIGHT | PS2MOUSE_BTN_MIDDLE);
	EXPECT(true, 0x08 | 0x10 | 0x06, 0xFE, 0x07);
	/* Nothing changed: nothing sent. */
	i8042_mouse_event(&c, 0, 0, 0, PS2MOUSE_BTN_RIGHT | PS2MOUSE_BTN_MIDDLE);
	cr_assert_eq(status() & I8042_STR_OBF, 0);
	/* Button release alone is a packet. */
	i8042_mouse_event(&c, 0, 0, 0, 0);
	EXPECT(true, 0x08, 0x00, 0x00);
	/* Large movement splits into packets of at most 255. */
	i8042_mouse_event(&c, 600, -300, 0, 0);
	EXPECT(true, 0x08, 0xFF, 0xFF, 0x08, 0xFF, 0x2D, 0x08, 0x5A, 0x00);
	i8042_mouse_event(&c, -256, 0, 0, 0);
	EXPECT(true, 0x18, 0x01, 0x00, 0x18, 0xFF, 0x00);
	/* The wheel is ignored without IntelliMouse. */
	i8042_mouse_event(&c, 0, 0, 3, 0);
	cr_assert_eq(status() & I8042_STR_OBF, 0);
}

Test(i8042, intellimouse_packets)
{
	cmd(0xA8);
	for (unsigned i = 0; i < 3; i++) {
		static const uint8_t knock[3] = { 200, 100, 80 };
		aux_send(0xF3);
		aux_send(knock[i]);
	}
	aux_send(0xF4);
	flush();
	i8042_mouse_event(&c, 1, -1, 2, 0);
	EXPECT(true, 0x08, 0x01, 0x01, 0x02);
	i8042_mouse_event(&c, 0, 0, -10, 0);
	EXPECT(true, 0x08, 0x00, 0x00, 0xF8, 0x08, 0x00, 0x00, 0xFE);
	/* Reset drops back to 3-byte packets. */
	aux_send(0xFF);
	aux_send(0xF4);
	flush();
	i8042_mouse_event(&c, 1, 0, 2, 0);
	EXPECT(true, 0x08, 0x01, 0x00);
}

Test(i8042, mouse_disabled_and_remote)
{
	struct i8042_stats st;

	cmd(0xA8);
	cr_assert_eq(i8042_mouse_event(&c, 1, 1, 0, 1), -EAGAIN);
	cr_assert_eq(status() & I8042_STR_OBF, 0);
	i8042_get_stats(&c, &st);
	cr_assert_eq(st.aux_ignored, 1);
	aux_send(0xF0);
	EXPECT(true, 0xFA);
	i8042_mouse_event(&c, 3, 0, 0, 1);
	i8042_mouse_event(&c, 4, 0, 0, 1);
	cr_assert_eq(status() & I8042_STR_OBF, 0);
	aux_send(0xEB);
	EXPECT(true, 0xFA, 0x09, 0x07, 0x00);
}

Test(i8042, mouse_flood_and_huge_moves)
{
	struct i8042_stats st;
	unsigned rises;

	cmd(0xA8);
	aux_send(0xF4);
	flush();
	cr_assert_eq(i8042_mouse_event(&c, 2147483647, -2147483647 - 1, 0, 0), -ENOSPC);
	i8042_get_stats(&c, &st);
	cr_assert_eq(st.aux_dropped, 1);
	cr_assert_leq(c.mouse.q.count, PS2_QUEUE_SIZE - PS2_QUEUE_HEADROOM);
	/* A reply still fits. */
	rises = c.mouse.q.count;
	aux_send(0xF2);
	cr_assert_eq(c.mouse.q.count, rises + 2);
}

Test(i8042, aux_disabled_holds_mouse_bytes)
{
	aux_send(0xF2); /* aux clock is disabled at power-on */
	cr_assert_eq(status() & I8042_STR_OBF, 0);
	cmd(0xA8);
	EXPECT(true, 0xFA, 0x00);
}

Test(i8042, controller_reply_flood_is_bounded)
{
	struct i8042_stats st;

	for (int i = 0; i < 100; i++)
		cmd(0xAA);
	i8042_get_stats(&c, &st);
	cr_assert_eq(st.ctrl_dropped, 100 - I8042_CTRLQ_SIZE - 1, "queue + output buffer");
	flush();
}

Test(i8042, null_irq_and_callback)
{
	struct i8042 d;

	cr_assert_eq(i8042_init(&d, NULL, 1, 12, NULL, NULL), 0);
	dev_out8(&i8042_cmd_ops, &d, 0, 0xFE);
	dev_out8(&i8042_cmd_ops, &d, 0, 0xD2);
	dev_out8(&i8042_data_ops, &d, 0, 0x33);
	cr_assert_eq(dev_in8(&i8042_data_ops, &d, 0), 0x33);
	i8042_destroy(&d);
}
