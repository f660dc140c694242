#!/bin/bash
# Quitting with a VM running and leaving it running; the next dashboard
# re-attaches it. Also: 4 vCPUs show 4 rows,
# delete asks first, and the dashboard degrades on vt100 / NO_COLOR.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.inc"
need_kvm

# counter with 4 vCPUs (smp's work loop finishes too fast to watch in a test)
"$VMDECK" create c4 --template counter --cpus 4 --cmdline 'cpus=4 rate=10 region=64' \
	--library "$LIB" >"$TMP/create.txt" 2>&1 || { cat "$TMP/create.txt"; fail "vmdeck create"; }

UI_ENV="NO_COLOR=1" UI_TERM=vt100 start_ui 120 40
wait_for 'F10Quit' 10
wait_for '^ *c4 +stopped' 5
ok "opens on vt100 with NO_COLOR"
screen | grep -Eq '^ *(hello|smp) ' && fail "demos created in a non-empty library"

keys End
wait_for '^ c4: stopped' 3
keys Enter
wait_for '^ *c4 +running' 15
wait_for 'CPU +TID +HOST%' 10
for c in 0 1 2 3; do
	wait_for "^ +$c +[0-9]+ " 5
done
ok "4 vCPU rows"
wait_for 'counter: cpu 3 [0-9]+ sum' 15
ok "console shows all 4 CPUs' output"

# Delete refuses a running VM; asks first for a stopped one.
keys d
wait_for 'c4 is running: stop it' 3
ok "delete refuses a running VM"

# Quit, leaving it running.
keys q
wait_for 'Stop before quitting' 3
keys l
wait_for 'vmdeck exited 0' 5
"$VMDECK" ls --library "$LIB" >"$TMP/ls.txt" 2>&1
expect_grep 'c4 .*running' "$TMP/ls.txt" "VM left running after quit"
ok "VM keeps running after the dashboard quits"

tm kill-session -t ui
start_ui 120 40
wait_for 're-attached \((running|starting)' 10   # starting: its socket was slow to answer the first probe
wait_for '^ *c4 +running' 5
keys End
wait_for 'counter: cpu [0-9] [0-9]+ sum' 10
ok "dashboard re-attaches the running VM and its console"

# Kill with confirmation, then delete with confirmation.
keys k
wait_for 'Kill VM' 3
keys k
wait_for '^ *c4 +(stopped|dead)' 10
keys d
wait_for "Delete VM 'c4'" 3
keys d
wait_gone '^ *c4 ' 5
wait_for 'c4: deleted' 3
ok "kill and delete after confirmation"
keys q
wait_for 'vmdeck exited 0' 5
