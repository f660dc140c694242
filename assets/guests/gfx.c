/* gfx: the graphical demo guest. CPL0 part: framebuffer discovery, i8042 and
 * interrupt setup, IRQ handlers that only queue bytes. CPL3 part: the frame
 * loop, all drawing (into a back buffer, then only changed rectangles are
 * copied to the framebuffer), scancode and mouse-packet decoding. */
#include "font.h"
#include "rt.h"

#define SYS_GFX_EVENT (SYS_GUEST_BASE + 0) /* () -> next input event or -1 */
#define EV_KBD   0x000
#define EV_MOUSE 0x100
#define TICK_HZ  100

/* ---- CPL0 ------------------------------------------------------------- */

static volatile uint16_t evq[1024];
static volatile unsigned evq_head, evq_tail; /* written by IRQ / by syscall */
extern char __end[];

static void evq_push(uint16_t ev)
{
	unsigned next = (evq_head + 1) % 1024;
	if (next != evq_tail) { /* full: drop */
		evq[evq_head] = ev;
		evq_head = next;
	}
}

static void i8042_drain(void)
{
	for (unsigned n = 0; n < 64; n++) {
		uint8_t st = inb(0x64);
		if (!(st & 0x01))
			break;
		uint8_t b = inb(0x60);
		evq_push((uint16_t)((st & 0x20 ? EV_MOUSE : EV_KBD) | b));
	}
}

static void irq_timer(struct trap_frame *tf) { (void)tf; guest_ticks++; pic_eoi(0); }
static void irq_kbd(struct trap_frame *tf) { (void)tf; i8042_drain(); pic_eoi(1); }
static void irq_mouse(struct trap_frame *tf) { (void)tf; i8042_drain(); pic_eoi(12); }

uint64_t guest_syscall(struct trap_frame *tf)
{
	if (tf->rax == SYS_GFX_EVENT) {
		if (evq_tail == evq_head)
			return (uint64_t)-1;
		uint16_t ev = evq[evq_tail];
		evq_tail = (evq_tail + 1) % 1024;
		return ev;
	}
	return (uint64_t)-1;
}

/* Bounded polls: 10000 reads is ~0.1 s at ~10 us per port exit. */
static bool i8042_wait_write(void)
{
	for (unsigned i = 0; i < 10000; i++)
		if (!(inb(0x64) & 0x02))
			return true;
	return false;
}

static int i8042_read(void)
{
	for (unsigned i = 0; i < 10000; i++)
		if (inb(0x64) & 0x01)
			return inb(0x60);
	return -1;
}

static void i8042_cmd(uint8_t cmd)
{
	i8042_wait_write();
	outb(0x64, cmd);
}

static void i8042_data(uint8_t v)
{
	i8042_wait_write();
	outb(0x60, v);
}

static void i8042_init(void)
{
	if (inb(0x64) == 0xFF) { /* nothing decodes the port */
		kprintf("gfx: no i8042 controller\n");
		return;
	}
	i8042_cmd(0xAD); /* disable keyboard */
	i8042_cmd(0xA7); /* disable aux */
	for (unsigned i = 0; i < 32 && (inb(0x64) & 1); i++)
		(void)inb(0x60);
	i8042_cmd(0x20);
	int cfg = i8042_read();
	if (cfg < 0)
		cfg = 0;
	/* Config byte: IRQs off while we talk to the devices by polling;
	 * clocks on; translation to scancode set 1 on. */
	cfg = (cfg & ~0x33) | 0x40;
	i8042_cmd(0x60);
	i8042_data((uint8_t)cfg);
	i8042_cmd(0xAE); /* enable keyboard */
	i8042_cmd(0xA8); /* enable aux (mouse) */
	i8042_data(0xF4); /* keyboard: enable scanning */
	int ack_k = i8042_read();
	i8042_cmd(0xD4);
	i8042_data(0xF4); /* mouse: enable data reporting */
	int ack_m = i8042_read();
	i8042_cmd(0x60);
	i8042_data((uint8_t)(cfg | 0x03)); /* IRQ1 + IRQ12 on */
	kprintf("gfx: i8042 config 0x%x kbd ack 0x%x mouse ack 0x%x\n", cfg | 3, ack_k & 0xFF, ack_m & 0xFF);
}

/* Bochs/QEMU "std" VGA (PCI 1234:1111): used when the loader gave us no
 * framebuffer (QEMU's Multiboot loader ignores the video request). */
static uint32_t pci_read(unsigned dev, unsigned reg)
{
	outl(0xCF8, 0x80000000u | (dev << 11) | (reg & 0xFC));
	return inl(0xCFC);
}

static bool bochs_vga_setup(unsigned w, unsigned h)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		if (pci_read(dev, 0) != 0x11111234u)
			continue;
		uint32_t bar = pci_read(dev, 0x10) & ~0xFu;
		outw(0x1CE, 0);
		uint16_t id = inw(0x1CF);
		if (id < 0xB0C0 || id > 0xB0CF || !bar)
			return false;
		static const uint16_t regs[][2] = { { 4, 0 }, { 1, 0 }, { 2, 0 }, { 3, 32 }, { 6, 0 }, { 8, 0 }, { 9, 0 } };
		for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
			uint16_t v = regs[i][1];
			if (regs[i][0] == 1 || regs[i][0] == 6)
				v = (uint16_t)w;
			if (regs[i][0] == 2)
				v = (uint16_t)h;
			outw(0x1CE, regs[i][0]);
			outw(0x1CF, v);
		}
		outw(0x1CE, 4);
		outw(0x1CF, 0x41); /* enabled, linear framebuffer */
		boot.fb_addr = bar;
		boot.fb_width = w;
		boot.fb_height = h;
		boot.fb_pitch = w * 4;
		boot.fb_bpp = 32;
		boot.fb_type = 1;
		static const uint8_t rgb[6] = { 16, 8, 8, 8, 0, 8 };
		memcpy(boot.fb_rgb, rgb, 6);
		return true;
	}
	return false;
}

/* ---- shared between the CPL0 setup and the CPL3 loop --------------------- */

enum scene { SCENE_BOX, SCENE_LINE, SCENE_FULL, SCENE_STATIC };
struct rect { int x, y, w, h; };

static struct {
	volatile uint32_t *fb;
	uint32_t *bb;     /* back buffer, w*h */
	int w, h, pitch;  /* pitch in pixels */
	uint8_t rpos, gpos, bpos;
	enum scene scene;
	uint64_t frames_max, interval;
	/* CPL3 state */
	struct rect dirty[32];
	unsigned ndirty;
	bool full;
	int px, py, drawn_px, drawn_py;
	bool ptr_drawn, ptr_moved;
	unsigned buttons;
	uint8_t pkt[3];
	unsigned pktlen;
	bool shift, e0;
	char line[80];
	unsigned linelen;
	bool line_changed;
	char click[48];
	bool click_changed;
	int bx, by, bdx, bdy;
	uint64_t frame;
} G;

/* ---- CPL3 ------------------------------------------------------------- */

static uint32_t rgb(unsigned r, unsigned g, unsigned b)
{
	return ((r & 0xFF) << G.rpos) | ((g & 0xFF) << G.gpos) | ((b & 0xFF) << G.bpos);
}

static uint32_t bg_pixel(int x, int y)
{
	if (G.scene == SCENE_FULL) {
		unsigned f = (unsigned)G.frame;
		return rgb((unsigned)(x + (int)f * 4) ^ (unsigned)y, (unsigned)(y + (int)f * 2), (unsigned)(x ^ (y + (int)f)) >> 1);
	}
	return rgb(16 + (unsigned)(y * 48 / G.h), 24 + (unsigned)(x * 32 / G.w), 64 + (unsigned)(y * 96 / G.h));
}

static void mark(int x, int y, int w, int h)
{
	if (x < 0) { w += x; x = 0; }
	if (y < 0) { h += y; y = 0; }
	if (x + w > G.w) w = G.w - x;
	if (y + h > G.h) h = G.h - y;
	if (w <= 0 || h <= 0)
		return;
	if (G.ndirty == 32) {
		G.full = true;
		return;
	}
	G.dirty[G.ndirty++] = (struct rect){ x, y, w, h };
}

static void fill_bg(int x0, int y0, int w, int h)
{
	for (int y = y0 < 0 ? 0 : y0; y < y0 + h && y < G.h; y++)
		for (int x = x0 < 0 ? 0 : x0; x < x0 + w && x < G.w; x++)
			G.bb[y * G.w + x] = bg_pixel(x, y);
	mark(x0, y0, w, h);
}

static void fill_rect(int x0, int y0, int w, int h, uint32_t c)
{
	for (int y = y0 < 0 ? 0 : y0; y < y0 + h && y < G.h; y++)
		for (int x = x0 < 0 ? 0 : x0; x < x0 + w && x < G.w; x++)
			G.bb[y * G.w + x] = c;
	mark(x0, y0, w, h);
}

/* Text on a solid background box (so a changed line repaints cleanly). */
static void draw_text(int x0, int y0, int cols, const char *s, uint32_t fg, uint32_t bgc)
{
	for (int col = 0; col < cols; col++) {
		unsigned char ch = *s ? (unsigned char)*s++ : ' ';
		const uint8_t *glyph = font8x16[ch & 0x7F];
		for (int r = 0; r < 16; r++) {
			int y = y0 + r;
			if (y < 0 || y >= G.h)
				continue;
			for (int c = 0; c < 8; c++) {
				int x = x0 + col * 8 + c;
				if (x >= 0 && x < G.w)
					G.bb[y * G.w + x] = (glyph[r] & (0x80 >> c)) ? fg : bgc;
			}
		}
	}
	mark(x0, y0, cols * 8, 16);
}

static const char *const arrow[17] = {
	"X..........", "XX.........", "XoX........", "XooX.......", "XoooX......", "XooooX.....",
	"XoooooX....", "XooooooX...", "XoooooooX..", "XooooooooX.", "XoooooXXXXX", "XooXooX....",
	"XoX.XooX...", "XX..XooX...", "X....XooX..", ".....XooX..", "......XX...",
};
#define PTR_W 11
#define PTR_H 17

static void blit(int x0, int y0, int w, int h)
{
	for (int y = y0; y < y0 + h; y++) {
		volatile uint32_t *d = G.fb + (size_t)y * (size_t)G.pitch + x0;
		const uint32_t *s = G.bb + y * G.w + x0;
		for (int x = 0; x < w; x++)
			d[x] = s[x];
	}
}

static bool overlaps(const struct rect *r, int x, int y, int w, int h)
{
	return r->x < x + w && x < r->x + r->w && r->y < y + h && y < r->y + r->h;
}

static void present(void)
{
	bool ptr_hit = G.ptr_moved || !G.ptr_drawn;

	if (G.full) {
		blit(0, 0, G.w, G.h);
		ptr_hit = true;
	} else {
		for (unsigned i = 0; i < G.ndirty; i++) {
			blit(G.dirty[i].x, G.dirty[i].y, G.dirty[i].w, G.dirty[i].h);
			if (overlaps(&G.dirty[i], G.drawn_px, G.drawn_py, PTR_W, PTR_H))
				ptr_hit = true;
		}
	}
	if (ptr_hit) {
		if (G.ptr_drawn) { /* restore what the old sprite covered */
			int w = G.drawn_px + PTR_W > G.w ? G.w - G.drawn_px : PTR_W;
			int h = G.drawn_py + PTR_H > G.h ? G.h - G.drawn_py : PTR_H;
			blit(G.drawn_px, G.drawn_py, w, h);
		}
		for (int r = 0; r < PTR_H && G.py + r < G.h; r++)
			for (int c = 0; c < PTR_W && G.px + c < G.w; c++) {
				char p = arrow[r][c];
				if (p != '.')
					G.fb[(size_t)(G.py + r) * (size_t)G.pitch + (size_t)(G.px + c)] =
						p == 'X' ? rgb(0, 0, 0) : rgb(255, 255, 255);
			}
		G.drawn_px = G.px;
		G.drawn_py = G.py;
		G.ptr_drawn = true;
		G.ptr_moved = false;
	}
	G.ndirty = 0;
	G.full = false;
}

static const char keymap[58] = "\0\x1b" "1234567890-=" "\b\t" "qwertyuiop[]" "\n" "\0" "asdfghjkl;'`" "\0"
			       "\\zxcvbnm,./" "\0" "*" "\0" " ";
static const char keymap_shift[58] = "\0\x1b" "!@#$%^&*()_+" "\b\t" "QWERTYUIOP{}" "\n" "\0"
				     "ASDFGHJKL:\"~" "\0" "|ZXCVBNM<>?" "\0" "*" "\0" " ";

/* Returns true when "exit" was typed. */
static bool on_key(uint8_t sc)
{
	if (sc == 0xE0) {
		G.e0 = true;
		return false;
	}
	bool e0 = G.e0;
	G.e0 = false;
	bool up = sc & 0x80;
	uint8_t code = sc & 0x7F;
	if (!e0 && (code == 0x2A || code == 0x36)) {
		G.shift = !up;
		return false;
	}
	if (up || (e0 && code != 0x1C) || code >= sizeof(keymap))
		return false;
	char ch = (G.shift ? keymap_shift : keymap)[code];
	if (!ch)
		return false;
	switch (ch) {
	case '\n': uprintf("key: enter\n"); G.linelen = 0; break;
	case '\b': uprintf("key: backspace\n"); if (G.linelen) G.linelen--; break;
	case '\t': uprintf("key: tab\n"); break;
	case 0x1b: uprintf("key: esc\n"); break;
	case ' ': uprintf("key: space\n"); break;
	default: uprintf("key: %c\n", ch); break;
	}
	if (ch >= ' ' && ch < 0x7F && G.linelen < sizeof(G.line) - 1)
		G.line[G.linelen++] = ch;
	G.line[G.linelen] = 0;
	G.line_changed = true;
	return !strncmp(G.line, "exit", 5);
}

static void on_mouse(uint8_t b)
{
	if (G.pktlen == 0 && !(b & 0x08))
		return; /* resynchronise: bit 3 is always set in the first byte */
	G.pkt[G.pktlen++] = b;
	if (G.pktlen < 3)
		return;
	G.pktlen = 0;
	uint8_t f = G.pkt[0];
	int dx = (int)G.pkt[1] - ((f << 4) & 0x100);
	int dy = (int)G.pkt[2] - ((f << 3) & 0x100);
	if (f & 0xC0) /* overflow: drop the motion */
		dx = dy = 0;
	G.px += dx;
	G.py -= dy; /* PS/2 y grows upwards */
	if (G.px < 0) G.px = 0;
	if (G.py < 0) G.py = 0;
	if (G.px >= G.w) G.px = G.w - 1;
	if (G.py >= G.h) G.py = G.h - 1;
	if (dx || dy)
		G.ptr_moved = true;
	static const char *const names[3] = { "left", "right", "middle" };
	unsigned pressed = (f & 7) & ~G.buttons;
	for (unsigned i = 0; i < 3; i++)
		if (pressed & (1u << i)) {
			uprintf("click: %s %d %d\n", names[i], G.px, G.py);
			snprintf_(G.click, sizeof(G.click), "click: %s %d %d", names[i], G.px, G.py);
			G.click_changed = true;
		}
	G.buttons = f & 7;
}

#define BOX 64
#define TOP 8

static void draw_header(void)
{
	char s[100];
	draw_text(16, TOP, 60, "vmdeck gfx demo: type, move the mouse, click", rgb(255, 255, 255), rgb(32, 32, 96));
	snprintf_(s, sizeof(s), "%dx%d framebuffer at 0x%lx, drawn at CPL3", G.w, G.h, (uint64_t)(uintptr_t)G.fb);
	draw_text(16, TOP + 20, 60, s, rgb(200, 200, 200), rgb(32, 32, 96));
	draw_text(16, G.h - 60, 2, "> ", rgb(255, 255, 0), rgb(0, 0, 0));
}

static void render(void)
{
	char s[100];
	if (G.scene == SCENE_FULL) {
		for (int y = 0; y < G.h; y++)
			for (int x = 0; x < G.w; x++)
				G.bb[y * G.w + x] = bg_pixel(x, y);
		G.full = true;
		draw_header();
		G.line_changed = G.click_changed = true;
	}
	if (G.scene == SCENE_BOX || G.scene == SCENE_FULL) {
		if (G.scene == SCENE_BOX)
			fill_bg(G.bx, G.by, BOX, BOX);
		G.bx += G.bdx;
		G.by += G.bdy;
		if (G.bx < 0 || G.bx + BOX > G.w) { G.bdx = -G.bdx; G.bx += 2 * G.bdx; }
		if (G.by < 80 || G.by + BOX > G.h - 80) { G.bdy = -G.bdy; G.by += 2 * G.bdy; }
		unsigned f = (unsigned)G.frame;
		fill_rect(G.bx, G.by, BOX, BOX, rgb(f * 3, 255 - f * 2, 128 + f));
	}
	if (G.scene != SCENE_STATIC) {
		snprintf_(s, sizeof(s), "frame %lu", G.frame);
		draw_text(16, TOP + 40, 20, s, rgb(0, 255, 0), rgb(0, 0, 0));
	}
	if (G.line_changed) {
		draw_text(32, G.h - 60, 78, G.line, rgb(255, 255, 0), rgb(0, 0, 0));
		G.line_changed = false;
	}
	if (G.click_changed) {
		draw_text(16, G.h - 36, 40, G.click, rgb(255, 128, 128), rgb(0, 0, 0));
		G.click_changed = false;
	}
	present();
}

static uint64_t gfx_user(uint64_t arg)
{
	(void)arg;
	uint64_t next = syscall3(SYS_TICKS, 0, 0, 0);

	font_init();
	G.px = G.w / 2;
	G.py = G.h / 2;
	G.bx = G.w / 3;
	G.by = G.h / 3;
	G.bdx = 4;
	G.bdy = 3;
	if (G.fb) {
		fill_bg(0, 0, G.w, G.h);
		draw_header();
		present();
	}
	for (;;) {
		uint64_t ev;
		while ((ev = syscall3(SYS_GFX_EVENT, 0, 0, 0)) != (uint64_t)-1) {
			if (ev & EV_MOUSE)
				on_mouse((uint8_t)ev);
			else if (on_key((uint8_t)ev)) {
				uprintf("gfx: exit typed\n");
				return EXIT_OK;
			}
		}
		uint64_t now = syscall3(SYS_TICKS, 0, 0, 0);
		if (now < next) {
			syscall3(SYS_WAIT, 0, 0, 0);
			continue;
		}
		next += G.interval;
		if (now > next + 10 * G.interval) /* far behind (slow emulation): skip */
			next = now + G.interval;
		if (G.fb)
			render();
		G.frame++;
		if (G.frames_max && G.frame >= G.frames_max) {
			uprintf("gfx: %lu frames done\n", G.frame);
			return EXIT_OK;
		}
	}
}

void guest_main(void)
{
	char scene[16] = "box";
	const char *src = "multiboot";

	kprintf("vmdeck gfx guest\n");
	kprintf("cmdline: %s\n", boot.cmdline);
	G.frames_max = cmdline_u64("frames", 0);
	uint64_t fps = cmdline_u64("fps", 20);
	G.interval = fps && fps < TICK_HZ ? TICK_HZ / fps : 1;
	cmdline_get("scene", scene, sizeof(scene));
	if (!strncmp(scene, "box", 4))
		G.scene = SCENE_BOX;
	else if (!strncmp(scene, "line", 5))
		G.scene = SCENE_LINE;
	else if (!strncmp(scene, "full", 5))
		G.scene = SCENE_FULL;
	else if (!strncmp(scene, "static", 7))
		G.scene = SCENE_STATIC;
	else {
		kprintf("error: scene=%s (box|line|full|static)\n", scene);
		rt_exit(EXIT_USAGE);
	}

	bool ok = boot.has_fb && boot.fb_type == 1 && boot.fb_bpp == 32;
	if (!ok) {
		src = "bochs-vga";
		ok = bochs_vga_setup(1024, 768);
	}
	if (ok) {
		G.fb = (volatile uint32_t *)(uintptr_t)boot.fb_addr;
		G.w = (int)boot.fb_width;
		G.h = (int)boot.fb_height;
		G.pitch = (int)(boot.fb_pitch / 4);
		G.rpos = boot.fb_rgb[0];
		G.gpos = boot.fb_rgb[2];
		G.bpos = boot.fb_rgb[4];
		/* Back buffer: RAM after the image, 2 MiB aligned. */
		uintptr_t bb = ((uintptr_t)__end + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
		uint64_t ram_end = 0x100000ull + (uint64_t)boot.mem_upper_kib * 1024;
		if (boot.mem_upper_kib && bb + (uint64_t)G.w * (uint64_t)G.h * 4 > ram_end)
			rt_panic("gfx: %dx%d needs more memory for the back buffer", G.w, G.h);
		G.bb = (uint32_t *)bb;
		kprintf("gfx: framebuffer %dx%dx32 pitch %u at 0x%lx (%s)\n", G.w, G.h, boot.fb_pitch,
			boot.fb_addr, src);
	} else {
		kprintf("gfx: no framebuffer, running headless\n");
	}
	kprintf("gfx: scene %s fps %lu frames %lu\n", scene, TICK_HZ / G.interval, G.frames_max);

	rt_set_handler(VEC_PIC_BASE + 0, irq_timer);
	rt_set_handler(VEC_PIC_BASE + 1, irq_kbd);
	rt_set_handler(VEC_PIC_BASE + 12, irq_mouse);
	i8042_init();
	if (lapic_present()) { /* let the PIC through the BSP's LINT0 (virtual wire) */
		lapic_init();
		lapic_write(LAPIC_LVT0, 0x700);
	}
	pit_periodic(TICK_HZ);
	pic_init(0xF8, 0xEF); /* unmask IRQ 0, 1, 2 (cascade), 12 */
	kprintf("gfx: ready\n");
	rt_exit((uint32_t)rt_user_call(gfx_user, 0, true));
}
