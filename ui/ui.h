#ifndef VMDECK_UI_H
#define VMDECK_UI_H
/* Runs the dashboard; returns a process exit status. */
int ui_main(const char *library_dir);
#endif
