/* The selected VM's framebuffer, mapped read-only (vmctl_fb_map) and sampled
 * into half-block cells through app's preview_model. */
#ifndef VMDECK_UI_PVLINK_H
#define VMDECK_UI_PVLINK_H

#include <stdbool.h>
#include <sys/types.h>

#include "preview_model.h"
#include "vmctl.h"

struct pvlink {
	char name[VMLIB_NAME_MAX];
	pid_t pid;                 /* remapped when the VM process changes */
	struct vmctl_fb fb;
	bool mapped;
	struct preview_model_cell *cells;
	unsigned cols, rows;       /* of cells[] */
	bool valid;                /* cells hold a rendering */
	char err[160];
};

void pvlink_init(struct pvlink *p);
void pvlink_free(struct pvlink *p);
/* Samples VM name (process pid) into at most cols x rows cells, keeping the
 * screen's aspect ratio (p->cols x p->rows say what was used). */
void pvlink_sample(struct pvlink *p, struct vmlib *lib, const char *name, pid_t pid,
		   unsigned cols, unsigned rows);

#endif
