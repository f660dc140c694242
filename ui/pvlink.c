/* Framebuffer preview sampling. */
#include "pvlink.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

void pvlink_init(struct pvlink *p)
{
	memset(p, 0, sizeof(*p));
}

static void unmap(struct pvlink *p)
{
	if (p->mapped)
		vmctl_fb_unmap(&p->fb);
	p->mapped = false;
	p->valid = false;
}

void pvlink_free(struct pvlink *p)
{
	unmap(p);
	free(p->cells);
	p->cells = NULL;
}

void pvlink_sample(struct pvlink *p, struct vmlib *lib, const char *name, pid_t pid,
		   unsigned cols, unsigned rows)
{
	if (strcmp(p->name, name) || p->pid != pid) {
		unmap(p);
		snprintf(p->name, sizeof(p->name), "%s", name);
		p->pid = pid;
		p->err[0] = 0;
	}
	if (!cols || !rows || !pid) {
		p->valid = false;
		return;
	}
	if (!p->mapped) {
		if (vmctl_fb_map(lib, name, &p->fb, p->err, sizeof(p->err)) < 0)
			return;
		p->mapped = true;
	}
	/* A half block is about square: keep the guest screen's aspect ratio. */
	if (p->fb.width && p->fb.height) {
		unsigned want_rows = (unsigned)((uint64_t)cols * p->fb.height / p->fb.width / 2);
		if (want_rows > rows)
			cols = (unsigned)((uint64_t)rows * 2 * p->fb.width / p->fb.height);
		else if (want_rows)
			rows = want_rows;
		if (!cols)
			cols = 1;
	}
	if (cols != p->cols || rows != p->rows || !p->cells) {
		free(p->cells);
		p->cells = calloc((size_t)cols * rows, sizeof(*p->cells));
		p->cols = p->cells ? cols : 0;
		p->rows = p->cells ? rows : 0;
		if (!p->cells)
			return;
	}
	p->valid = preview_model_render(&p->fb, cols, rows, p->cells) == 0;
}
