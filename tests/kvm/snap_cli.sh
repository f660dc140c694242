#!/bin/bash
# Snapshots of library VMs through the CLI, with the counter guest: snapshot
# a running VM, let it run on, `vmdeck restore` in place -> the counter goes
# back to the snapshot's value; a corrupted snapshot is refused by name and
# the VM runs on unchanged; `snapshots` tree and --json; restore of a
# stopped VM starts it from the snapshot; snapshot-rm; suspend to file with
# `stop --save` and resume with `start`; argument errors.
. "$(dirname "$0")/../lib.sh"
need_kvm

export VMDECK_RUNTIME_DIR=$TMP/run
L=$TMP/lib
cleanup() {
  for n in a; do "$VMDECK" kill $n --library "$L" >/dev/null 2>&1; done
  rm -rf "$TMP"
}
trap cleanup EXIT
v() { "$VMDECK" "$@" --library "$L"; }
state_of() { v ls | awk -v n="$1" '$1 == n { print $2 }'; }
# last_n NAME: the last counter value on NAME's console
last_n() { v console "$1" --wait 0.1 </dev/null | grep -a '^counter: [0-9]* sum' | tail -1 | awk '{print $2}'; }
# n_after NAME MARK: counter values printed after the console's first MARK bytes
console_bytes() { v console "$1" --wait 0.3 </dev/null | wc -c; }
after_mark() { v console "$1" --wait 0.4 </dev/null | tail -c +$(($2 + 1)) | grep -a '^counter: [0-9]* sum' | awk '{print $2}'; }

v create a --template counter --cmdline "rate=20 region=1024" >/dev/null || fail "create"
v snapshot a s0 2>"$TMP/err" && fail "snapshot of a stopped VM accepted"
expect_grep "not running" "$TMP/err" "snapshot of a stopped VM"
v start a >/dev/null || fail "start"
sleep 1.5
# The snapshot's counter lies between the last value printed before the
# command and the first printed after it.
N_PRE=$(last_n a)
v snapshot a s1 >"$TMP/out" 2>"$TMP/err" || fail "snapshot: $(cat "$TMP/err")"
N_SNAP=$(last_n a)
expect_grep "snapshot 's1' taken" "$TMP/out" "snapshot message"
for f in config.ini state.bin memory.bin info.ini; do
  [ -f "$L/vms/a/snapshots/s1/$f" ] || fail "snapshot has no $f"
done
expect_grep "parent = $" "$L/vms/a/snapshots/s1/info.ini" "first snapshot has no parent"
sleep 2
N_LATER=$(last_n a)
[ "$N_LATER" -gt $((N_SNAP + 20)) ] || fail "the VM did not run on after the snapshot ($N_SNAP -> $N_LATER)"
expect_eq "$(state_of a)" running "state after snapshot"
ok "snapshot of a running VM (at counter $N_SNAP), it ran on to $N_LATER"

# ---- restore in place ----
MARK=$(console_bytes a)
v restore a s1 >"$TMP/out" 2>"$TMP/err" || fail "restore: $(cat "$TMP/err")"
expect_grep "restored to snapshot 's1'" "$TMP/out" "restore message"
sleep 1
after_mark a "$MARK" > "$TMP/after"
# lines printed between MARK and the restore are higher than any after it
FIRST=$(sort -n "$TMP/after" | head -1)
[ -n "$FIRST" ] || fail "no counter output after restore"
# The counter continues from the snapshot's value: the first line printed
# after the restore is the step after the last one printed before the
# snapshot (allow a line in flight either way).
[ "$FIRST" -ge "$N_PRE" ] && [ "$FIRST" -le $((N_SNAP + 1)) ] || \
  fail "first counter after restore is $FIRST, snapshot was at $N_PRE..$N_SNAP (ran on to $N_LATER)"
grep -aq "memory changed" <(v console a --wait 0.2 </dev/null) && fail "the guest's memory check failed"
expect_eq "$(state_of a)" running "state after restore"
ok "restore in place: counter continues at $FIRST (snapshot at $N_PRE..$N_SNAP, was at $N_LATER)"

# ---- a second snapshot: tree, current, --json ----
v snapshot a s2 >/dev/null || fail "second snapshot"
expect_grep "parent = s1" "$L/vms/a/snapshots/s2/info.ini" "s2's parent is s1 (restored from)"
v snapshots a > "$TMP/tree" || fail "snapshots"
expect_grep "^\* .*s2" "$TMP/tree" "s2 is current"
expect_grep '`-s2' "$TMP/tree" "s2 drawn as s1's child"
v snapshots a --json > "$TMP/tree.json" || fail "snapshots --json"
python3 - "$TMP/tree.json" <<'PY' || fail "snapshots --json content"
import json, sys
d = {e["tag"]: e for e in json.load(open(sys.argv[1]))}
assert set(d) == {"s1", "s2"}, d
assert d["s2"]["parent"] == "s1" and d["s2"]["current"] and not d["s1"]["current"], d
assert d["s1"]["memory"] == 64 << 20 and d["s1"]["cpus"] == 1 and d["s1"]["bytes"] > 0, d
PY
ok "snapshots: tree with parent and current marker, --json"

# ---- a corrupted snapshot is refused, the VM runs on unchanged ----
cp -r --sparse=always "$L/vms/a/snapshots/s2" "$L/vms/a/snapshots/bad"
printf '\x55' | dd of="$L/vms/a/snapshots/bad/state.bin" bs=1 seek=200 conv=notrunc 2>/dev/null
N0=$(last_n a)
v restore a bad >/dev/null 2>"$TMP/err" && fail "corrupt snapshot restored"
expect_grep "crc-mismatch" "$TMP/err" "corrupt snapshot: named error"
expect_grep "runs on unchanged" "$TMP/err" "corrupt snapshot: the VM is said to run on"
sleep 0.6
N1=$(last_n a)
expect_eq "$(state_of a)" running "state after a refused restore"
[ "$N1" -gt "$N0" ] || fail "the VM did not run on after a refused restore ($N0 -> $N1)"
ok "corrupt snapshot refused ($(head -c 150 "$TMP/err")); the VM ran on $N0 -> $N1"
# A snapshot of another machine shape: refused by name before anything changes.
sed -i 's/^memory = .*/memory = 128M/' "$L/vms/a/snapshots/bad/config.ini"
cp "$L/vms/a/snapshots/s2/state.bin" "$L/vms/a/snapshots/bad/state.bin"
v restore a bad >/dev/null 2>"$TMP/err" && fail "mismatched snapshot restored"
grep -Eq "config-mismatch|bad-device-state" "$TMP/err" || fail "mismatch not named: $(cat "$TMP/err")"
expect_eq "$(state_of a)" running "state after a refused mismatched restore"
v snapshot-rm a bad >/dev/null || fail "snapshot-rm bad"
ok "mismatched snapshot refused"

# ---- argument errors ----
v restore a nosuch 2>"$TMP/err" && fail "unknown tag accepted"
expect_grep "no snapshot 'nosuch'" "$TMP/err" "unknown tag"
v snapshot a 'bad/tag' 2>"$TMP/err" && fail "bad tag accepted"
expect_grep "bad TAG" "$TMP/err" "bad tag"
v snapshot a s1 2>"$TMP/err" && fail "duplicate tag accepted"
expect_grep "already has a snapshot 's1'" "$TMP/err" "duplicate tag"
v snapshot a suspend 2>"$TMP/err" && fail "reserved tag accepted"
expect_grep "reserved" "$TMP/err" "reserved tag"
v snapshot nosuchvm 2>"$TMP/err" && fail "unknown VM accepted"
expect_grep "no VM named" "$TMP/err" "unknown VM"
v restore a 2>"$TMP/err" && fail "restore without TAG accepted"
expect_grep "missing arguments" "$TMP/err" "restore without TAG"
v snapshot --help | grep -q "usage: vmdeck snapshot" || fail "snapshot --help"
v clone --help | grep -q -- "--from-snapshot" || fail "clone --help"
ok "argument errors named"

# ---- suspend to file, resume ----
N0=$(last_n a)
v stop a --save >"$TMP/out" 2>"$TMP/err" || fail "stop --save: $(cat "$TMP/err")"
expect_grep "suspended" "$TMP/out" "stop --save message"
expect_eq "$(state_of a)" stopped "state after stop --save"
[ -f "$L/vms/a/snapshots/suspend/state.bin" ] || fail "no suspend snapshot"
ls -a "$L/vms/a/snapshots" | grep -q '\.suspend\.new' && fail "temporary suspend directory left"
sleep 1  # wall time passes while suspended; the guest must not notice
v start a >"$TMP/out" 2>"$TMP/err" || fail "start after suspend: $(cat "$TMP/err")"
expect_grep "resumed from snapshot 'suspend'" "$TMP/out" "start says it resumed"
sleep 0.5
v console a --wait 0.3 </dev/null > "$TMP/con"
grep -aq "vmdeck counter guest" "$TMP/con" && fail "the resumed VM booted again"
FIRST=$(grep -a '^counter: [0-9]* sum' "$TMP/con" | head -1 | awk '{print $2}')
[ "$FIRST" -ge "$N0" ] && [ "$FIRST" -le $((N0 + 5)) ] || fail "resumed at $FIRST, suspended after $N0"
[ -e "$L/vms/a/snapshots/suspend" ] && fail "the suspend snapshot was kept: the next start would resume again"
# a second suspend replaces nothing but works again; then a cold boot
v stop a --save >/dev/null || fail "second stop --save"
v snapshot-rm a suspend >/dev/null || fail "snapshot-rm suspend"
v start a >"$TMP/out" || fail "cold start"
expect_grep "^a started" "$TMP/out" "start without a suspend snapshot boots"
sleep 0.3
v console a --wait 0.2 </dev/null | grep -aq "vmdeck counter guest" || fail "cold start did not boot"
ok "stop --save + start resumes at $FIRST (suspended after $N0); without it a cold boot"

# ---- restore a stopped VM: it starts from the snapshot ----
v stop a >/dev/null || fail "stop"
v restore a s1 >"$TMP/out" 2>"$TMP/err" || fail "restore of a stopped VM: $(cat "$TMP/err")"
expect_grep "started from snapshot 's1'" "$TMP/out" "restore of a stopped VM message"
expect_eq "$(state_of a)" running "state after restore of a stopped VM"
sleep 0.5
v console a --wait 0.3 </dev/null > "$TMP/con"
grep -aq "vmdeck counter guest" "$TMP/con" && fail "restored stopped VM booted again"
FIRST=$(grep -a '^counter: [0-9]* sum' "$TMP/con" | head -1 | awk '{print $2}')
[ "$FIRST" -ge "$N_PRE" ] && [ "$FIRST" -le $((N_SNAP + 1)) ] || fail "started at $FIRST, s1 was at $N_PRE..$N_SNAP"
v snapshots a | grep -q '^\* .*s1' || fail "s1 is current after starting from it"
ok "restore of a stopped VM starts it from the snapshot (counter $FIRST)"

# ---- snapshot-rm ----
v snapshot-rm a s1 >/dev/null || fail "snapshot-rm s1"
[ -e "$L/vms/a/snapshots/s1" ] && fail "s1 still there"
v snapshots a --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert [e["tag"] for e in d]==["s2"] and d[0]["parent"]=="", d' \
  || fail "s2 not re-parented after its parent was removed"
v snapshot-rm a s1 2>"$TMP/err" && fail "removing a missing snapshot accepted"
expect_grep "no snapshot 's1'" "$TMP/err" "snapshot-rm of a missing snapshot"
expect_eq "$(state_of a)" running "VM runs on after snapshot-rm of its current snapshot"
ok "snapshot-rm (children re-parented)"
v kill a >/dev/null
