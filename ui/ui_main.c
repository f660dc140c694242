/* The dashboard's main loop: sample the model every 500 ms, read keys and
 * console bytes, redraw at most ~10 times a second and only when something
 * changed, sleep in poll() otherwise. */
#include "ui.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "uictx.h"

#define SAMPLE_MS 500
#define FRAME_MS 100

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* After a sample: keep the selection on the same VM, attach the console and
 * preview of the selected VM. */
static void follow_selection(struct ui *ui)
{
	struct model *m = &ui->model;
	struct model_vm *v;

	if (ui->sel_name[0]) {
		for (size_t i = 0; i < m->nvm; i++)
			if (!strcmp(m->vm[i].e.name, ui->sel_name))
				ui->sel = i;
	}
	if (ui->sel >= m->nvm)
		ui->sel = m->nvm ? m->nvm - 1 : 0;
	v = ui_selected(ui);
	snprintf(ui->sel_name, sizeof(ui->sel_name), "%s", v ? v->e.name : "");
	if (!v) {
		conlink_detach(&ui->con);
		ui->focus = UI_FOCUS_LIST;
		return;
	}
	if (model_vm_live(v)) {
		if (ui->con.fd < 0 || strcmp(ui->con.name, v->e.name))
			conlink_attach(&ui->con, &ui->lib, v->e.name);
	} else {
		if (strcmp(ui->con.name, v->e.name)) {
			conlink_detach(&ui->con);
			conbuf_init(&ui->con.buf);
			snprintf(ui->con.name, sizeof(ui->con.name), "%s", v->e.name);
		}
		ui->focus = UI_FOCUS_LIST;
	}
}

static void sample(struct ui *ui)
{
	struct model_vm *v;

	model_sample(&ui->model);
	follow_selection(ui);
	ui_snap_sample(ui);
	v = ui_selected(ui);
	if (v && v->e.has_display && model_vm_live(v) && ui->lay.preview.h > 2)
		pvlink_sample(&ui->pv, &ui->lib, v->e.name, v->e.pid, (unsigned)ui->lay.preview.w - 2,
			      (unsigned)ui->lay.preview.h - 2);
	else if (v)
		pvlink_sample(&ui->pv, &ui->lib, v->e.name, 0, 0, 0);
}

int ui_main(const char *library_dir)
{
	struct ui *ui = calloc(1, sizeof(*ui));
	char err[256];
	int status = 0;

	if (!ui) {
		fprintf(stderr, "vmdeck: out of memory\n");
		return 1;
	}
	if (vmlib_open(&ui->lib, library_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmdeck: %s\n", err);
		free(ui);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	model_init(&ui->model, &ui->lib);
	conlink_init(&ui->con);
	pvlink_init(&ui->pv);
	if (vmlib_templates(&ui->templates, &ui->ntemplates, err, sizeof(err)) < 0) {
		evlog_add(&ui->model.log, EVLOG_WARN, "templates: %s", err);
		ui->templates = NULL;
		ui->ntemplates = 0;
	}
	model_sample(&ui->model);
	if (!ui->model.nvm && !ui->model.list_err[0]) {
		ui_create_demos(ui);
		ui->model.sampled_once = false; /* the demos are not news */
		model_sample(&ui->model);
	}
	evlog_add(&ui->model.log, EVLOG_INFO, "dashboard started: %zu VMs in %s", ui->model.nvm,
		  ui->lib.dir);
	if (crt_init(&ui->crt) < 0) {
		status = 1;
		goto out;
	}
	follow_selection(ui);

	uint64_t next_sample = 0, last_draw = 0;
	bool dirty = true, quit = false;
	while (!quit) {
		if (ui->job.kind) {
			/* Snapshot work blocks for up to about a second: show the
			 * status line saying so first, then sample the result. */
			ui_draw(ui);
			ui_job_run(ui);
			next_sample = 0;
			dirty = true;
		}
		uint64_t now = now_ms();
		if (now >= next_sample) {
			sample(ui);
			next_sample = now + SAMPLE_MS;
			dirty = true;
		}
		if (dirty && now - last_draw >= FRAME_MS) {
			ui_draw(ui);
			last_draw = now;
			dirty = false;
		}
		int timeout = (int)(next_sample - now);
		if (dirty) {
			int until_frame = (int)(last_draw + FRAME_MS - now);
			if (until_frame < timeout)
				timeout = until_frame < 0 ? 0 : until_frame;
		}
		struct pollfd pfd[2] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = ui->con.fd, .events = POLLIN },
		};
		int n = poll(pfd, ui->con.fd >= 0 ? 2 : 1, timeout);
		if (n < 0 && errno != EINTR)
			crt_fatal(&ui->crt, "poll: %s", strerror(errno));
		if (ui->con.fd >= 0 && n > 0 && pfd[1].revents) {
			if (conlink_poll(&ui->con) != 0)
				dirty = true;
		}
		struct crt_key k;
		int react = 0;
		/* Drain every waiting key: a burst (paste) costs one redraw;
		 * a queued snapshot job runs before the keys after it. */
		while (!ui->job.kind && crt_read_key(&ui->crt, &k))
			react |= ui_key(ui, &k) | UI_REDRAW;
		if (react & UI_RESCAN)
			next_sample = 0;
		if (react & UI_REDRAW)
			dirty = true;
		if (react & UI_QUIT)
			quit = true;
	}
	crt_done(&ui->crt);
out:
	conlink_detach(&ui->con);
	pvlink_free(&ui->pv);
	ui_snap_free(ui);
	model_free(&ui->model);
	free(ui->templates);
	free(ui);
	return status;
}
