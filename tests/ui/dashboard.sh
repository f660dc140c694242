#!/bin/bash
# The dashboard end to end, through tmux: it opens with the demo VMs, the
# wizard creates a VM, F2 starts it, one row per vCPU with rising counters,
# the console shows the guest's output and takes keys, F3 stops it, the
# layout follows terminal resizes, q quits; `vmdeck ls` agrees meanwhile.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.inc"
need_kvm

start_ui 120 40
wait_for 'F10Quit' 10
for vm in hello exits smp gfx; do
	wait_for "^ *$vm +stopped" 5
done
ok "dashboard lists the demo VMs"
wait_for 'created the demo VMs' 2
ok "event log says the demos were created"

# Mouse: a click (xterm X10 report, as tmux forwards it) on the hello row
# (list header on row 1; exits, gfx, hello, smp below) selects it.
click() { # X Y (0-based)
	local xy
	xy=$(printf "\\$(printf %03o $((33 + $1)))\\$(printf %03o $((33 + $2)))")
	keys -l $'\e[M '"$xy"
	keys -l $'\e[M#'"$xy"
}
click 5 4
wait_for '^ hello: stopped' 3
ok "mouse click selects a VM"

# --- the create wizard: template counter, 2 vCPUs, its cmdline ---
keys n
wait_for 'New VM' 5
for i in $(seq 10); do
	screen | grep -q '< counter >' && break
	keys Right
	sleep 0.2
done
screen | grep -q '< counter >' || { dump; fail "no counter template in the wizard"; }
keys Tab
wait_for 'Name .*required' 3
ok "wizard validates inline (empty name)"
keys -l 'bad name'
wait_for "letters, digits" 3
keys C-u
keys -l ctr1
keys Tab BSpace 2 Tab Tab Tab
keys -l 'cpus=2 rate=20 region=64'
keys Tab Tab Tab
sleep 0.3
keys Enter
wait_gone 'New VM' 5
wait_for '^ *ctr1 +stopped +2 ' 5
wait_for 'ctr1: created from template counter' 3
ok "wizard created ctr1 with 2 vCPUs"

# --- start it (it is selected after creation) ---
keys F2
wait_for '^ *ctr1 +running' 15
wait_for 'CPU +TID +HOST%' 10
wait_for 'started' 5
s1=$(screen)
echo "$s1" | grep -Eq '^ +0 +[0-9]+ ' || { dump; fail "no row for vCPU 0"; }
echo "$s1" | grep -Eq '^ +1 +[0-9]+ ' || { dump; fail "no row for vCPU 1"; }
echo "$s1" | grep -Eq '^ +2 +[0-9]+ +[0-9]' && { dump; fail "a third vCPU row for a 2-vCPU VM"; }
ok "one row per vCPU"
"$VMDECK" ls --library "$LIB" >"$TMP/ls.txt" 2>&1
expect_grep 'ctr1 .*running' "$TMP/ls.txt" "vmdeck ls while the dashboard runs"
ok "vmdeck ls shows ctr1 running"

# Counters rising: the guest's output arrives in the console pane, and the
# vCPU table shows non-zero exit rates.
wait_for 'counter: cpu 1 [0-9]+ sum' 15
n1=$(screen | grep -oE 'counter: cpu 0 [0-9]+' | tail -1 | awk '{print $4}')
sleep 1.5
n2=$(screen | grep -oE 'counter: cpu 0 [0-9]+' | tail -1 | awk '{print $4}')
[ -n "$n1" ] && [ -n "$n2" ] && [ "$n2" -gt "$n1" ] || { dump; fail "console not advancing ($n1 -> $n2)"; }
ok "console shows the guest's output, advancing ($n1 -> $n2)"
rates=$(screen | grep -E '^ +[01] +[0-9]+ ' | awk '{for (i = 8; i <= NF; i++) if ($i ~ /^[0-9.]+[kM]?$/ && $i != "0") {print "nz"; break}}' | wc -l)
[ "$rates" -ge 2 ] || { dump; fail "vCPU exit rates not all non-zero"; }
ok "both vCPUs show exits/s"

# --- the console: focus, type, leave ---
keys c
wait_for 'typing to the guest' 3
wait_for 'keys go to ctr1' 3
keys -l 'hello guest'
keys Enter
sleep 0.3
keys C-]
wait_gone 'typing to the guest' 3
wait_for 'F10Quit' 3
ok "console focus, typing, ^] leaves"

# --- resize ---
tm resize-window -t ui -x 90 -y 30
sleep 0.7
wait_for 'F10Quit' 3
[ "$(screen | wc -l)" -le 30 ] || fail "capture taller than the window"
screen | tail -1 | grep -q 'F1Help' || { dump; fail "footer not on the last row after resize"; }
screen | grep -q 'ctr1' || { dump; fail "list lost after resize"; }
tm resize-window -t ui -x 50 -y 12
wait_for 'Terminal too small' 3
tm resize-window -t ui -x 120 -y 40
wait_for 'CPU +TID +HOST%' 3
screen | tail -1 | grep -q 'F1Help' || { dump; fail "footer not on the last row after growing"; }
ok "layout follows resizes (90x30, 50x12, 120x40)"

# --- help ---
keys '?'
wait_for 'vmdeck help' 3
keys Space
wait_gone 'vmdeck help' 3
ok "help opens and closes"

# --- stop, with confirmation ---
keys F3
wait_for 'Stop VM' 3
keys Escape
wait_gone 'Stop VM' 3
screen | grep -Eq '^ *ctr1 +running' || { dump; fail "cancel stopped the VM"; }
keys F3
wait_for 'Stop VM' 3
keys s
wait_for '^ *ctr1 +(stopped|dead)' 15
ok "F3 stops after confirmation"

# --- quit ---
keys q
wait_for 'vmdeck exited 0' 5
ok "q quits with status 0"
