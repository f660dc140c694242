#!/bin/bash
# VM processes: create from a template, start, ls, console (scrollback, live
# output, input accepted), stop; kill -9 of a VM process (ls shows it dead,
# the runtime dir is cleaned); two VMs at once with separate stats; the same
# name twice refused; rm refuses a running VM.
. "$(dirname "$0")/../lib.sh"
need_kvm

export VMDECK_RUNTIME_DIR=$TMP/run
L=$TMP/lib
cleanup() {
  for n in a b; do "$VMDECK" kill $n --library "$L" >/dev/null 2>&1; done
  rm -rf "$TMP"
}
trap cleanup EXIT
v() { "$VMDECK" "$@" --library "$L"; }
state_of() { v ls | awk -v n="$1" '$1 == n { print $2 }'; }

v create a --template counter --cmdline "rate=20 region=64" >/dev/null || fail "create a"
v create b --template exits --cpus 1 --cmdline "io=7 hlt=2 user=1000000000000" >/dev/null || fail "create b"
grep -q '^kernel = @guests/counter.elf' "$L/vms/a/vm.ini" || fail "vm.ini keeps @guests/ spelling"
v create a --template counter 2>"$TMP/err" && fail "duplicate create accepted"
expect_grep "already exists" "$TMP/err" "duplicate create message"
v create bad/name --template counter 2>/dev/null && fail "bad name accepted"
v create c --template nosuch 2>"$TMP/err" && fail "unknown template accepted"
expect_grep "no template named" "$TMP/err" "unknown template message"
expect_eq "$(state_of a)" stopped "state before start"
ok "create"

v start a >/dev/null || fail "start a"
expect_eq "$(state_of a)" running "state after start"
v start a 2>"$TMP/err" && fail "second start of a accepted"
expect_grep "already running" "$TMP/err" "second start message"
# a second VM process for the same name, bypassing the check, is refused by the lock
"$VMDECK" __vm-process --library "$L" a 2>"$TMP/err" && fail "second VM process for a"
expect_grep "already running" "$TMP/err" "lock refuses a second process"
expect_eq "$(state_of a)" running "a unaffected by the refused process"
PID_A=$(cat "$VMDECK_RUNTIME_DIR/a/pid")
tr '\0' ' ' < /proc/$PID_A/cmdline | grep -q "__vm-process" || fail "pid file names the VM process"
ok "start; same name twice refused"

# The VM outlives the shell that started it: its parent is not us.
PPID_A=$(awk '{print $4}' /proc/$PID_A/stat)
[ "$PPID_A" != "$$" ] || fail "VM process is a child of the test shell"

v ls --json > "$TMP/ls.json"
python3 - "$TMP/ls.json" <<'PY' || fail "ls --json"
import json, sys
d = {e["name"]: e for e in json.load(open(sys.argv[1]))}
assert d["a"]["state"] == "running" and d["a"]["cpus"] == 1 and d["a"]["memory"] == 64 << 20, d
assert d["a"]["pid"] > 0 and d["a"]["uptime_ns"] > 0, d
assert d["b"]["state"] == "stopped", d
PY
ok "ls --json"

sleep 0.5
printf 'typed into the console\n' | v console a --wait 1 > "$TMP/console" || fail "console"
expect_grep "vmdeck counter guest" "$TMP/console" "console scrollback"
expect_grep "counter: [0-9]* sum 0x" "$TMP/console" "console live output"
N1=$(grep -c "^counter: [0-9]" "$TMP/console")
[ "$N1" -ge 5 ] || fail "console: only $N1 counter lines"
v console a --wait 0.2 </dev/null > "$TMP/console2"
expect_grep "vmdeck counter guest" "$TMP/console2" "second console client gets the scrollback too"
expect_eq "$(state_of a)" running "VM running after console input"
ok "console: scrollback, live output, input accepted"

# Two VMs at once with separate stats.
v start b >/dev/null || fail "start b"
sleep 0.5
v stats a --json > "$TMP/sa.json" || fail "stats a"
v stats b --json > "$TMP/sb.json" || fail "stats b"
python3 - "$TMP/sa.json" "$TMP/sb.json" <<'PY' || fail "separate stats"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
pa, pb = a["vcpus"][0]["pio"], b["vcpus"][0]["pio"]
assert "0x500" not in pa, pa
assert pb["0x500"]["writes"] == 7, pb
assert a["vcpus"][0]["tid"] != b["vcpus"][0]["tid"]
assert a["guest_ram_bytes"] == 64 << 20 and a["vmm_resident"] > 0
PY
v stats a --interval 0.3 > "$TMP/table" || fail "stats table"
expect_grep "^0 " "$TMP/table" "stats table has a row for vCPU 0"
ok "two VMs, separate stats"

v rm a 2>"$TMP/err" && fail "rm of a running VM accepted"
expect_grep "running" "$TMP/err" "rm refusal message"

# kill -9 of the VM process: ls shows it dead and cleans the runtime dir.
kill -9 "$PID_A"
for _ in $(seq 50); do kill -0 "$PID_A" 2>/dev/null || break; sleep 0.1; done
[ -d "$VMDECK_RUNTIME_DIR/a" ] || fail "runtime dir should still be there before ls"
expect_eq "$(state_of a)" dead "state after kill -9"
[ ! -e "$VMDECK_RUNTIME_DIR/a" ] || fail "stale runtime dir not cleaned"
expect_grep "vanished" "$L/vms/a/last-exit" "last-exit note"
expect_eq "$(state_of b)" running "b unaffected by a's death"
ok "kill -9: dead, cleaned; the other VM runs on"

# A dead VM starts again.
v start a >/dev/null || fail "restart a"
expect_eq "$(state_of a)" running "restarted"

# stop / pause / resume
v pause b || fail "pause"
expect_eq "$(state_of b)" paused "paused"
v resume b || fail "resume"
expect_eq "$(state_of b)" running "resumed"
v stop a || fail "stop a"
v stop b || fail "stop b"
expect_eq "$(state_of a)" stopped "a stopped"
expect_eq "$(state_of b)" stopped "b stopped"
[ -z "$(ls -A "$VMDECK_RUNTIME_DIR")" ] || fail "runtime dirs left: $(ls "$VMDECK_RUNTIME_DIR")"
v stop a 2>"$TMP/err" && fail "stop of a stopped VM accepted"
expect_grep "not running" "$TMP/err" "stop of a stopped VM"
ok "pause, resume, stop"

# A guest that ends by itself: the process cleans up and records why.
v create h --template hello >/dev/null
v start h >/dev/null 2>&1  # may already be gone when start checks
for _ in $(seq 50); do [ -e "$VMDECK_RUNTIME_DIR/h" ] || break; sleep 0.1; done
[ ! -e "$VMDECK_RUNTIME_DIR/h" ] || fail "hello: runtime dir left"
expect_grep "exited with status 0" "$L/vms/h/last-exit" "hello last-exit"

v rm a || fail "rm a"
[ ! -e "$L/vms/a" ] || fail "rm left files"
ok "rm"
