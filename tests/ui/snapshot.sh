#!/bin/bash
# Snapshots from the dashboard, through tmux: s snapshots a running counter
# VM (default tag from the time), the detail lists it; r opens the picker,
# Enter + confirmation reverts the running VM and its console continues
# from the snapshot's value; d in the picker asks before deleting; C clones
# the running VM into a second running VM with its own console; q leaves
# both running; the CLI agrees and kills them.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.inc"
need_kvm

"$VMDECK" create ctr --template counter --library "$LIB" >"$TMP/create.txt" 2>&1 ||
	{ cat "$TMP/create.txt"; fail "vmdeck create"; }

# The newest counter value in the console pane (empty when none).
last_count() { screen | grep -oE '^│counter: [0-9]+ sum' | tail -1 | awk '{print $2}'; }
wait_count_ge() { # N SECONDS
	local i v
	for ((i = 0; i < $2 * 10; i++)); do
		v=$(last_count)
		[ -n "$v" ] && [ "$v" -ge "$1" ] && return 0
		sleep 0.1
	done
	dump
	fail "console counter never reached $1 (last: ${v:-none})"
}

start_ui 120 40
wait_for 'F10Quit' 10
wait_for '^ *ctr +stopped' 5
keys Enter
wait_for '^ *ctr +running' 15
wait_count_ge 15 20
ok "counter VM running, console advancing"

# --- s: snapshot with the default tag ---
before=$(last_count)
keys s
wait_for 'Snapshot ctr' 3
wait_for 'Tag +snap-[0-9]{8}-[0-9]{6}' 3
keys Enter
wait_for 'ctr: snapshot snap-[0-9-]+ taken' 10
after=$(last_count)
tag=$(screen | grep -oE 'snapshot snap-[0-9]{8}-[0-9]{6}(-[0-9]+)? taken' | tail -1 | awk '{print $2}')
[ -n "$tag" ] || { dump; fail "no tag in the event log"; }
ok "snapshot $tag taken (counter was $before..$after)"
wait_for 'Snapshots \(1\)' 3
wait_for "^ +\* $tag +[0-9:]+ +[0-9.]+[KMG]?" 3
ok "the detail lists the snapshot, marked current"
"$VMDECK" snapshots ctr --library "$LIB" >"$TMP/snaps.txt" 2>&1 || { cat "$TMP/snaps.txt"; fail "vmdeck snapshots"; }
expect_grep "$tag" "$TMP/snaps.txt" "vmdeck snapshots lists the dashboard's snapshot"
ok "vmdeck snapshots agrees"

# --- let it run on, then r: restore through the picker ---
wait_count_ge $((after + 30)) 15
keys r
wait_for 'Snapshots of ctr' 3
wait_for "\* $tag .*\(current\)" 3
ok "picker shows the snapshot as current"
keys Enter
wait_for "Revert running 'ctr'" 3
keys Escape
wait_gone "Revert running" 3
wait_for 'Snapshots of ctr' 2
ok "cancelling the confirmation returns to the picker"
keys Enter
wait_for "Revert running 'ctr'" 3
high=$(last_count)
keys r
wait_for "ctr: restored snapshot $tag" 10
wait_for 'vmdeck: restored snapshot' 3
sleep 1.5
now=$(last_count)
[ -n "$now" ] && [ "$now" -lt "$high" ] && [ "$now" -ge "$before" ] && [ "$now" -le $((after + 25)) ] ||
	{ dump; fail "after restore the counter is ${now:-none}: expected back near $before..$after (was $high)"; }
ok "console continues from the snapshot's value ($high -> $now, snapshot at $before..$after)"
sleep 1
later=$(last_count)
[ "$later" -gt "$now" ] || { dump; fail "counter not advancing after restore ($now -> $later)"; }
ok "restored VM runs on ($now -> $later)"
screen | grep -q 'memory changed' && { dump; fail "the guest reports its memory changed"; }

# --- a second snapshot, then delete it from the picker (asks first) ---
keys s
wait_for 'Snapshot ctr' 3
keys -l second
keys Enter
wait_for 'ctr: snapshot second taken' 10
wait_for 'Snapshots \(2\)' 3
wait_for "^ +\* +(└|\`) second " 3
ok "a second snapshot shows under its parent"
keys r
wait_for 'Snapshots of ctr' 3
keys End d
wait_for "Delete snapshot 'second' of 'ctr'" 3
keys d
wait_for 'ctr: snapshot second deleted' 10
keys Escape
wait_gone 'Snapshots of ctr' 3
wait_for 'Snapshots \(1\)' 3
ok "d in the picker deletes a snapshot after confirmation"

# --- C: clone the running VM ---
keys C
wait_for 'Clone ctr' 3
wait_for 'Name +ctr-clone' 3
keys Enter
wait_for 'ctr: cloned to ctr-clone' 15
wait_for '^ *ctr-clone +running' 15
wait_for '^ ctr-clone running' 5
wait_for 'Console ctr-clone' 5
# The clone starts from the source's state now, not from 0.
wait_count_ge "$now" 10
c1=$(last_count)
sleep 1.5
c2=$(last_count)
[ -n "$c1" ] && [ -n "$c2" ] && [ "$c2" -gt "$c1" ] || { dump; fail "clone's console not advancing ($c1 -> $c2)"; }
ok "clone runs with its own console ($c1 -> $c2)"
screen | grep -Eq '^ *ctr +running' || { dump; fail "source stopped running after the clone"; }
"$VMDECK" ls --library "$LIB" >"$TMP/ls.txt" 2>&1
expect_grep 'ctr-clone .*running' "$TMP/ls.txt" "clone running per vmdeck ls"
pids=$(awk 'NR > 1 && $2 == "running" {print $1}' "$TMP/ls.txt" | sort | tr '\n' ' ')
[ "$pids" = "ctr ctr-clone " ] || { cat "$TMP/ls.txt"; fail "expected ctr and ctr-clone running, got: $pids"; }
ok "both VMs running"

# --- a stopped VM starts from a snapshot (no confirmation needed) ---
keys Home
wait_for '^ ctr running' 5
keys k
wait_for 'Kill VM' 3
keys k
wait_for '^ *ctr +(stopped|dead)' 10
keys r
wait_for 'Enter starts the VM from it' 3
# The clone left a snapshot of its own on ctr (now current); the first
# row of the tree is the oldest root, the snapshot taken with s.
keys Home
keys Enter
wait_for "ctr: restored snapshot $tag" 15
wait_for '^ *ctr +running' 10
wait_for 'Console ctr - c to type' 5
wait_count_ge "$before" 10
v=$(last_count)
[ "$v" -le $((after + 25)) ] || { dump; fail "started from the snapshot but the counter is at $v (snapshot at $before..$after)"; }
ok "r on a stopped VM starts it from the snapshot (counter at $v)"

# --- quit, leaving both running; the CLI kills them ---
keys q
wait_for 'Stop before quitting' 3
keys l
wait_for 'vmdeck exited 0' 5
"$VMDECK" ls --library "$LIB" >"$TMP/ls2.txt" 2>&1
expect_grep 'ctr-clone .*running' "$TMP/ls2.txt" "clone left running"
expect_grep '^ctr .*running' "$TMP/ls2.txt" "source left running"
for n in ctr ctr-clone; do
	"$VMDECK" kill "$n" --library "$LIB" >/dev/null 2>&1 || fail "vmdeck kill $n"
done
ok "quit left both running; vmdeck kill stopped them"
