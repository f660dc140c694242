#ifndef VMDECK_CLI_H
#define VMDECK_CLI_H
int cli_main(int argc, char **argv);
#endif
