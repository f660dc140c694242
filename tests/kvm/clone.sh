#!/bin/bash
# Clones: a running counter VM cloned -> both run on independently (a restore
# in one changes only that one); a running gfx VM cloned -> two VNC ports;
# a linked clone of a stopped VM with a qcow2 disk shares its base (qemu-img
# info --backing-chain), both boot (blk guest), qemu-img check clean; a
# running blk VM (disk snapshot chain) cloned -> both keep writing their own
# disks; a full clone copies; removing what a clone depends on is refused,
# naming the clone.
. "$(dirname "$0")/../lib.sh"
need_kvm

export VMDECK_RUNTIME_DIR=$TMP/run
L=$TMP/lib
NAMES="a a2 g g2 b b2 b3 r r2 f"
cleanup() {
  for n in $NAMES; do "$VMDECK" kill $n --library "$L" >/dev/null 2>&1; done
  rm -rf "$TMP"
}
trap cleanup EXIT
v() { "$VMDECK" "$@" --library "$L"; }
state_of() { v ls | awk -v n="$1" '$1 == n { print $2 }'; }
# last_n NAME PATTERN: the number in the last console line matching PATTERN
last_n() { v console "$1" --wait 0.1 </dev/null | grep -a "^$2" | tail -1 | grep -o '[0-9][0-9]*' | head -1; }
# vm.ini's disk.0 path, absolute
disk_of() { local p; p=$(awk -F' = ' '$1 == "path" { print $2; exit }' "$L/vms/$1/vm.ini")
  case $p in /*) echo "$p";; *) echo "$L/vms/$1/$p";; esac; }
have_qemu_img() { command -v qemu-img >/dev/null; }

# ---- running counter VM ----
v create a --template counter --cmdline "rate=20 region=1024" >/dev/null || fail "create a"
v start a >/dev/null || fail "start a"
sleep 1
v clone a a2 >"$TMP/out" 2>"$TMP/err" || fail "clone of a running VM: $(cat "$TMP/err")"
expect_grep "a cloned to a2" "$TMP/out" "clone message"
expect_eq "$(state_of a)" running "source runs on"
expect_eq "$(state_of a2)" running "clone runs"
[ -d "$L/vms/a/snapshots/clone-a2" ] || fail "no snapshot clone-a2 for the clone"
sleep 0.5
v console a2 --wait 0.2 </dev/null > "$TMP/c2"
grep -aq "vmdeck counter guest" "$TMP/c2" && fail "the clone booted instead of continuing"
grep -aq "^counter: [0-9]* sum" "$TMP/c2" || fail "the clone prints no counter"
# Independent: restore the clone's own snapshot only in the clone.
sleep 1
v snapshot a2 early >/dev/null || fail "snapshot of the clone"
sleep 1.5
A0=$(last_n a "counter: [0-9]* sum")
v restore a2 early >/dev/null || fail "restore in the clone"
sleep 0.3
A1=$(v console a --wait 0.1 </dev/null | grep -a '^counter: [0-9]* sum' | tail -1 | awk '{print $2}')
B1=$(v console a2 --wait 0.1 </dev/null | grep -a '^counter: [0-9]* sum' | tail -1 | awk '{print $2}')
[ "$A1" -ge "$A0" ] || fail "restoring the clone moved the source back ($A0 -> $A1)"
[ "$B1" -lt $((A1 - 10)) ] || fail "after a restore in the clone, counters should differ: a=$A1 a2=$B1"
grep -aq "memory changed" <(v console a2 --wait 0.1 </dev/null) && fail "clone's memory check failed"
grep -aq "memory changed" <(v console a --wait 0.1 </dev/null) && fail "source's memory check failed"
ok "running clone: both continue; a restore in the clone leaves the source alone (a=$A1, a2=$B1)"
# Memory shared copy-on-write: the clone's RAM maps the snapshot's memory.bin.
PID2=$(cat "$VMDECK_RUNTIME_DIR/a2/pid")
grep -q "snapshots/clone-a2/memory.bin" /proc/$PID2/maps || \
  grep -q "snapshots/early/memory.bin" /proc/$PID2/maps || fail "clone's RAM is not mapped from a snapshot file"
ok "clone RAM is a MAP_PRIVATE mapping of the snapshot file"

# Dependencies: the snapshot and the VM the clone came from cannot go.
v snapshot-rm a clone-a2 2>"$TMP/err" && fail "snapshot a clone depends on removed"
expect_grep "VM 'a2'" "$TMP/err" "snapshot-rm names the clone"
v kill a >/dev/null
v rm a 2>"$TMP/err" && fail "VM a clone depends on removed"
expect_grep "VM 'a2'" "$TMP/err" "rm names the clone"
ok "snapshot-rm and rm refused while a clone depends on them: $(head -c 160 "$TMP/err")"
v kill a2 >/dev/null; v rm a2 >/dev/null || fail "rm a2"
v snapshot-rm a clone-a2 >/dev/null || fail "snapshot-rm after the clone is gone"
v rm a >/dev/null || fail "rm a after the clone is gone"
ok "after removing the clone, its origin can go"

# ---- display: two VNC ports ----
v create g --template gfx --display on >/dev/null || fail "create g"
sed -i 's/^vnc = .*/vnc = auto/' "$L/vms/g/vm.ini"
v start g >/dev/null || fail "start g"
sleep 1
v clone g g2 >/dev/null 2>"$TMP/err" || fail "clone of gfx: $(cat "$TMP/err")"
V1=$(v ls --json | python3 -c 'import json,sys; print({e["name"]: e["vnc"] for e in json.load(sys.stdin)}["g"])')
V2=$(v ls --json | python3 -c 'import json,sys; print({e["name"]: e["vnc"] for e in json.load(sys.stdin)}["g2"])')
[ -n "$V1" ] && [ -n "$V2" ] && [ "$V1" != "$V2" ] || fail "VNC: g=$V1 g2=$V2"
v screenshot g2 "$TMP/g2.png" >/dev/null 2>&1 || fail "screenshot of the clone"
ok "gfx clone: two live VNC ports ($V1, $V2)"
v kill g >/dev/null; v kill g2 >/dev/null

# ---- linked clone of a stopped VM with a qcow2 disk (blk guest) ----
v create b --template counter --disk-size 16M >/dev/null || fail "create b"
sed -i 's|^kernel = .*|kernel = @guests/blk.elf|; s|^cmdline = .*|cmdline = mode=rw seed=1|' "$L/vms/b/vm.ini"
BASE=$(disk_of b)
v clone b b2 >"$TMP/out" 2>"$TMP/err" || fail "linked clone: $(cat "$TMP/err")"
[ "$(disk_of b)" != "$BASE" ] || fail "the source did not move to a new overlay"
grep -Eq '^serial = vmdeck-[0-9a-f]{12}$' "$L/vms/b2/vm.ini" || fail "the clone's disk has no fresh serial"
grep -q '^serial' "$L/vms/b/vm.ini" && fail "the source's disk serial changed"
[ -w "$BASE" ] && [ "$(id -u)" != 0 ] && fail "base still writable"
[ "$(stat -c %a "$BASE")" = 444 ] || fail "base not read-only: $(stat -c %a "$BASE")"
if have_qemu_img; then
  for n in b b2; do
    qemu-img info --backing-chain "$(disk_of $n)" > "$TMP/chain.$n" || fail "qemu-img info $n"
    expect_grep "image: $BASE" "$TMP/chain.$n" "$n's chain reaches the shared base"
    expect_grep "backing file format: qcow2" "$TMP/chain.$n" "$n's backing format recorded"
  done
fi
v start b >/dev/null 2>&1; v start b2 >/dev/null 2>&1
for _ in $(seq 50); do [ -e "$VMDECK_RUNTIME_DIR/b" ] || [ -e "$VMDECK_RUNTIME_DIR/b2" ] || break; sleep 0.1; done
expect_grep "exited with status 0" "$L/vms/b/last-exit" "source boots and its disk test passes"
expect_grep "exited with status 0" "$L/vms/b2/last-exit" "clone boots and its disk test passes"
if have_qemu_img; then
  for f in "$BASE" "$(disk_of b)" "$(disk_of b2)"; do
    qemu-img check "$f" >"$TMP/check" 2>&1 || { cat "$TMP/check"; fail "qemu-img check $f"; }
  done
fi
ok "linked clone of a stopped VM: shared read-only base, both boot, qemu-img check clean"
v rm b 2>"$TMP/err" && fail "rm of a VM whose disk backs a clone accepted"
expect_grep "VM 'b2'" "$TMP/err" "rm names the dependant"
ok "rm refused: $(head -c 160 "$TMP/err")"

# ---- running VM with a disk: the snapshot freezes it, both write on ----
v create r --template counter --disk-size 16M >/dev/null || fail "create r"
sed -i 's|^kernel = .*|kernel = @guests/blk.elf|; s|^cmdline = .*|cmdline = mode=counter count=250 rate=10|' "$L/vms/r/vm.ini"
v start r >/dev/null || fail "start r"
sleep 1
v clone r r2 >/dev/null 2>"$TMP/err" || fail "clone of a running VM with a disk: $(cat "$TMP/err")"
sleep 1.5
R1=$(v console r --wait 0.1 </dev/null | grep -a '^blk: counter [0-9]' | tail -1 | awk '{print $3}')
R2=$(v console r2 --wait 0.1 </dev/null | grep -a '^blk: counter [0-9]' | tail -1 | awk '{print $3}')
expect_eq "$(state_of r)" running "disk source runs on"
expect_eq "$(state_of r2)" running "disk clone runs on (its disk looks as at the snapshot)"
[ -n "$R1" ] && [ -n "$R2" ] || fail "no blk counter output (r=$R1 r2=$R2)"
if have_qemu_img; then
  qemu-img info --backing-chain "$(disk_of r2)" > "$TMP/chain.r2"
  expect_grep "backing file format: qcow2" "$TMP/chain.r2" "r2 backs onto r's frozen image"
fi
ok "running clone with a disk: both write on (r at $R1, r2 at $R2)"
v kill r >/dev/null; v kill r2 >/dev/null

# ---- full clone ----
v clone b2 f --full >/dev/null 2>"$TMP/err" || fail "full clone: $(cat "$TMP/err")"
[ -e "$L/vms/f/origin" ] && fail "a full clone recorded an origin"
if have_qemu_img; then
  qemu-img info "$(disk_of f)" | grep -q "backing file" && fail "full clone has a backing file"
  qemu-img compare "$(disk_of b2)" "$(disk_of f)" >/dev/null || fail "full copy differs"
fi
v start f >/dev/null 2>&1
for _ in $(seq 50); do [ -e "$VMDECK_RUNTIME_DIR/f" ] || break; sleep 0.1; done
expect_grep "exited with status 0" "$L/vms/f/last-exit" "full clone boots"
v clone b2 b2 2>"$TMP/err" && fail "clone onto itself accepted"
v clone b2 f 2>"$TMP/err" && fail "clone onto an existing VM accepted"
expect_grep "already exists" "$TMP/err" "existing DST named"
v clone nosuch x 2>"$TMP/err" && fail "clone of a missing VM accepted"
expect_grep "no VM named" "$TMP/err" "missing SRC named"
ok "full clone: independent copy with the same content, boots; bad names refused"
