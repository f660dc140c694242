#!/bin/bash
# Typing into the console pane reaches the guest: the hello guest with
# echo=1 answers each line it reads on COM1 with "echo: LINE"; "quit" ends it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.inc"
need_kvm

"$VMDECK" create echo1 --template hello --cmdline 'echo=1' --library "$LIB" >"$TMP/create.txt" 2>&1 ||
	{ cat "$TMP/create.txt"; fail "vmdeck create"; }
start_ui 120 40
wait_for '^ *echo1 +stopped' 10
keys F2
wait_for '^ *echo1 +running' 15
wait_for "hello: echo mode" 10
keys c
wait_for 'typing to the guest' 3
keys -l 'hi from the dashboard'
keys Enter
wait_for '^│echo: hi from the dashboard' 5
ok "a typed line reaches the guest and its answer shows"
keys -l 'quit'
keys Enter
wait_for '^ *echo1 +stopped' 10
wait_gone 'typing to the guest' 3
ok "the guest exits on 'quit'; focus returns to the list"
keys q
wait_for 'vmdeck exited 0' 5
