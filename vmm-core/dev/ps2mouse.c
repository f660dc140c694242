/* PS/2 mouse with IntelliMouse wheel; see ps2mouse.h. Packet format: IBM
 * PS/2 Technical Reference "Auxiliary device", and Microsoft's IntelliMouse
 * PS/2 protocol (ID 3: a fourth byte with the wheel count, -8..7). */
#include <errno.h>
#include <string.h>

#include "dev/ps2mouse.h"

#define AUX_CMD_SCALING11   0xE6
#define AUX_CMD_SCALING21   0xE7
#define AUX_CMD_RESOLUTION  0xE8
#define AUX_CMD_STATUS      0xE9
#define AUX_CMD_STREAM      0xEA
#define AUX_CMD_READ_DATA   0xEB
#define AUX_CMD_WRAP_OFF    0xEC
#define AUX_CMD_WRAP_ON     0xEE
#define AUX_CMD_REMOTE      0xF0
#define AUX_CMD_GET_ID      0xF2
#define AUX_CMD_SET_RATE    0xF3
#define AUX_CMD_ENABLE      0xF4
#define AUX_CMD_DISABLE     0xF5
#define AUX_CMD_DEFAULTS    0xF6
#define AUX_CMD_RESEND      0xFE
#define AUX_CMD_RESET       0xFF

#define AUX_STATUS_REMOTE   0x40
#define AUX_STATUS_ENABLED  0x20
#define AUX_STATUS_SCALE21  0x10

#define PKT_ALWAYS1 0x08
#define PKT_XSIGN   0x10
#define PKT_YSIGN   0x20

#define MOVE_MAX 255 /* 9-bit two's complement counters, kept symmetric */
/* Bound on one event's movement, so a huge delta cannot loop for long;
 * more than a queue's worth of packets is dropped anyway. */
#define EVENT_MAX (MOVE_MAX * PS2_QUEUE_SIZE)

static void aux_send(struct ps2mouse *m, uint8_t b)
{
	if (ps2_queue_push(&m->q, b))
		m->last = b;
	else
		m->dropped++;
}

static void aux_defaults(struct ps2mouse *m)
{
	m->rate = 100;
	m->resolution = 2; /* 4 counts/mm */
	m->scaling21 = false;
	m->reporting = false;
	m->remote = false;
	m->acc_dx = m->acc_dy = m->acc_dz = 0;
}

void ps2mouse_reset(struct ps2mouse *m)
{
	uint64_t unknown = m->unknown_cmds, dropped = m->dropped, ignored = m->ignored;

	memset(m, 0, sizeof(*m));
	m->unknown_cmds = unknown;
	m->dropped = dropped;
	m->ignored = ignored;
	aux_defaults(m);
}

static int clampi(long long v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : (int)v;
}

static unsigned aux_packet_len(const struct ps2mouse *m)
{
	return m->id == 3 ? 4 : 3;
}

/* dx, dy already in PS/2 convention (y up) and within +-MOVE_MAX. */
static void aux_packet(struct ps2mouse *m, int dx, int dy, int dz)
{
	uint8_t b0 = PKT_ALWAYS1 | (m->buttons & 7);

	if (dx < 0)
		b0 |= PKT_XSIGN;
	if (dy < 0)
		b0 |= PKT_YSIGN;
	aux_send(m, b0);
	aux_send(m, (uint8_t)dx);
	aux_send(m, (uint8_t)dy);
	if (m->id == 3)
		aux_send(m, (uint8_t)dz);
}

static void aux_read_data(struct ps2mouse *m)
{
	int dx = clampi(m->acc_dx, -MOVE_MAX, MOVE_MAX);
	int dy = clampi(m->acc_dy, -MOVE_MAX, MOVE_MAX);
	int dz = clampi(m->acc_dz, -8, 7);

	aux_packet(m, dx, dy, dz);
	m->acc_dx = m->acc_dy = m->acc_dz = 0;
}

void ps2mouse_write(struct ps2mouse *m, uint8_t b)
{
	if (m->wrap) {
		/* Wrap mode echoes everything but "reset wrap" and "reset". */
		if (b == AUX_CMD_WRAP_OFF) {
			m->wrap = false;
			aux_send(m, PS2_ACK);
			return;
		}
		if (b != AUX_CMD_RESET) {
			aux_send(m, b);
			return;
		}
	}
	if (m->expect) {
		uint8_t cmd = m->expect;

		m->expect = 0;
		if (cmd == AUX_CMD_SET_RATE) {
			m->rate = b;
			m->rates[0] = m->rates[1];
			m->rates[1] = m->rates[2];
			m->rates[2] = b;
			/* The IntelliMouse "knock": rates 200, 100, 80 in a row
			 * switch the mouse to ID 3 (4-byte packets). */
			if (m->rates[0] == 200 && m->rates[1] == 100 && m->rates[2] == 80)
				m->id = 3;
		} else {
			m->resolution = b & 3;
		}
		aux_send(m, PS2_ACK);
		return;
	}
	switch (b) {
	case AUX_CMD_RESET:
		ps2mouse_reset(m);
		aux_send(m, PS2_ACK);
		aux_send(m, PS2_BAT_OK);
		aux_send(m, 0x00); /* device ID */
		break;
	case AUX_CMD_RESEND:
		aux_send(m, m->last);
		break;
	case AUX_CMD_DEFAULTS:
		/* Leaves the ID alone: Linux's psmouse sends F6 after detecting
		 * an IntelliMouse and still expects 4-byte packets. */
		aux_defaults(m);
		aux_send(m, PS2_ACK);
		break;
	case AUX_CMD_DISABLE:
		m->reporting = false;
		aux_send(m, PS2_ACK);
		break;
	case AUX_CMD_ENABLE:
		m->reporting = true;
		aux_send(m, PS2_ACK);
		break;
	case AUX_CMD_SET_RATE:
	case AUX_CMD_RESOLUTION:
		m->expect = b;
		aux_send(m, PS2_ACK);
		break;
	case AUX_CMD_GET_ID:
		aux_send(m, PS2_ACK);
		aux_send(m, m->id);
		break;
	case AUX_CMD_REMOTE:
		m->remote = true;
		aux_send(m, PS2_ACK);
		break;
	case AUX_CMD_STREAM:
		m->remote = false;
		aux_send(m, PS2_ACK);
		break;
	case AUX_CMD_WRAP_ON:
		m->wrap = true;
		aux_send(m, PS2_ACK);
		break;
	case AUX_CMD_WRAP_OFF:
		aux_send(m, PS2_ACK);
		break;
	case AUX_CMD_READ_DATA:
		aux_send(m, PS2_ACK);
		aux_read_data(m);
		break;
	case AUX_CMD_STATUS:
		aux_send(m, PS2_ACK);
		/* Status byte: bit 6 remote, 5 enabled, 4 scaling 2:1, 2 left,
		 * 1 middle, 0 right (note: not packet order). */
		aux_send(m, (uint8_t)((m->remote ? AUX_STATUS_REMOTE : 0) |
				      (m->reporting ? AUX_STATUS_ENABLED : 0) |
				      (m->scaling21 ? AUX_STATUS_SCALE21 : 0) |
				      ((m->buttons & PS2MOUSE_BTN_LEFT) ? 0x04 : 0) |
				      ((m->buttons & PS2MOUSE_BTN_MIDDLE) ? 0x02 : 0) |
				      ((m->buttons & PS2MOUSE_BTN_RIGHT) ? 0x01 : 0)));
		aux_send(m, m->resolution);
		aux_send(m, m->rate);
		break;
	case AUX_CMD_SCALING11:
		m->scaling21 = false;
		aux_send(m, PS2_ACK);
		break;
	case AUX_CMD_SCALING21:
		m->scaling21 = true;
		aux_send(m, PS2_ACK);
		break;
	default:
		m->unknown_cmds++;
		aux_send(m, PS2_RESEND);
		break;
	}
}

/* 2:1 scaling, stream mode only (Technical Reference table "2:1 scaling"). */
static long long aux_scale21(long long v)
{
	long long a = v < 0 ? -v : v, r;

	switch (a) {
	case 0: case 1: case 3: r = a; break;
	case 2: r = 1; break;
	case 4: r = 6; break;
	case 5: r = 9; break;
	default: r = 2 * a; break;
	}
	return v < 0 ? -r : r;
}

int ps2mouse_event(struct ps2mouse *m, int dx, int dy, int dz, unsigned buttons)
{
	long long rx, ry, rz;
	unsigned len = aux_packet_len(m);
	bool changed = (buttons & 7) != m->buttons;

	m->buttons = buttons & 7;
	rx = clampi(dx, -EVENT_MAX, EVENT_MAX);
	ry = -(long long)clampi(dy, -EVENT_MAX, EVENT_MAX); /* PS/2: y grows upwards */
	rz = m->id == 3 ? clampi(dz, -EVENT_MAX, EVENT_MAX) : 0;
	if (m->remote) {
		m->acc_dx = clampi(m->acc_dx + rx, -EVENT_MAX, EVENT_MAX);
		m->acc_dy = clampi(m->acc_dy + ry, -EVENT_MAX, EVENT_MAX);
		m->acc_dz = clampi(m->acc_dz + rz, -EVENT_MAX, EVENT_MAX);
		return 0;
	}
	if (!m->reporting) {
		m->ignored++;
		return -EAGAIN;
	}
	if (m->scaling21) {
		rx = aux_scale21(rx);
		ry = aux_scale21(ry);
	}
	if (!rx && !ry && !rz && !changed)
		return 0;
	do {
		int cx = clampi(rx, -MOVE_MAX, MOVE_MAX);
		int cy = clampi(ry, -MOVE_MAX, MOVE_MAX);
		int cz = clampi(rz, -8, 7);

		if (ps2_queue_input_room(&m->q) < len) {
			m->dropped++;
			return -ENOSPC;
		}
		aux_packet(m, cx, cy, cz);
		rx -= cx;
		ry -= cy;
		rz -= cz;
	} while (rx || ry || rz);
	return 0;
}
