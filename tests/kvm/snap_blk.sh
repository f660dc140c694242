#!/bin/bash
# Snapshots with a disk (external snapshot chain, machine_snapshot.h): the
# blk guest's counter mode writes the byte n to sector 64+n at step n and
# checks at each step that 63+n holds n-1 and 64+n is still zero. Snapshot
# mid-run, let it write on, restore: the guest continues at the snapshot's
# step (virtqueue positions restored, or its polling would time out) and
# finds the disk as it was (data written after the snapshot gone, before it
# there), checked again with qemu-io and the guest's cverify mode. Every
# image of the chain checks clean; restoring twice gives the same result and
# never writes the frozen image; a snapshot of a restored VM chains on; a
# raw disk gets a qcow2 overlay.
. "$(dirname "$0")/blk_lib.bash"

COUNT=40
# counter_config INI IMAGE FORMAT CMDLINE
counter_ini() { blk_config "$1" "$2" "$3" "$4"; }
# sectors_are IMG FMT UPTO: sectors 65..64+UPTO hold their byte, the rest zero
sectors_are() {
  local img=$1 fmt=$2 upto=$3 cmds=() n
  for n in $(seq 1 $COUNT); do
    if [ "$n" -le "$upto" ]; then cmds+=("read -q -P $n $(((64 + n) * 512)) 512")
    else cmds+=("read -q -P 0 $(((64 + n) * 512)) 512"); fi
  done
  io_pattern "$fmt" "$img" "${cmds[@]}"
}
first_step() { sed -n 's/^blk: counter \([0-9]*\)$/\1/p' "$1" | head -1; }

d=$TMP/d; mkdir "$d"
qemu-img create -q -f qcow2 "$d/disk.qcow2" 1M
counter_ini "$TMP/c.ini" "$d/disk.qcow2" qcow2 "mode=counter count=$COUNT rate=20"

# ---- snapshot mid-run; the VM writes on into the new overlay ----
timeout 60 "$VMDECK" run "$TMP/c.ini" --timeout 30 --snapshot-at 1:"$d/s1" \
  >"$TMP/run1.out" 2>"$TMP/run1.err"
st=$?; expect_eq "$st" 0 "original run ($(cat "$TMP/run1.err"))"
expect_grep "snapshot $d/s1: paused" "$TMP/run1.err" "snapshot message"
expect_grep "^blk: counter $COUNT\$" "$TMP/run1.out" "original run finished"
expect_grep "^blk: pass\$" "$TMP/run1.out" "original run passed"
[ -f "$d/disk.s1.qcow2" ] || fail "no overlay disk.s1.qcow2 next to the disk"
grep -q "^path = $d/disk.qcow2\$" "$d/s1/config.ini" || fail "snapshot config.ini does not name the frozen image"
qemu-img info --backing-chain "$d/disk.s1.qcow2" >"$TMP/chain" 2>&1
expect_grep "^backing file: disk.qcow2 (actual path" "$TMP/chain" "overlay's backing file, relative"
[ "$(grep -c '^image:' "$TMP/chain")" = 2 ] || { cat "$TMP/chain"; fail "chain is not overlay -> disk"; }
ok "snapshot mid-run: chain disk.s1.qcow2 -> disk.qcow2"

# ---- restore: the guest continues where the snapshot was ----
md5_frozen=$(md5sum < "$d/disk.qcow2")
timeout 60 "$VMDECK" run --restore "$d/s1" --timeout 30 >"$TMP/run2.out" 2>"$TMP/run2.err"
st=$?; expect_eq "$st" 0 "restored run ($(cat "$TMP/run2.err"))"
expect_grep "restored $d/s1 in" "$TMP/run2.err" "restore message"
grep -q "vmdeck blk guest" "$TMP/run2.out" && fail "restored guest booted again"
k1=$(first_step "$TMP/run2.out"); K=$((k1 - 1))
# The guest prints step n after its write of sector 64+n completes; a
# snapshot taken between that completion and the print holds step n on
# disk although the restored guest prints n first. Both are consistent.
qemu-io -f qcow2 -r -c "read -q -P $k1 $(((64 + k1) * 512)) 512" "$d/disk.qcow2" >"$TMP/k1.io" 2>&1
grep -q 'Pattern verification failed' "$TMP/k1.io" || K=$k1
[ "$K" -ge 1 ] && [ "$K" -lt "$COUNT" ] || fail "snapshot step $K not mid-run (1..$((COUNT - 1)))"
grep -qx "blk: counter $K" "$TMP/run1.out" || fail "step $K not in the original run"
expect_grep "^blk: counter done\$" "$TMP/run2.out" "restored guest ran to the end"
expect_grep "^blk: pass\$" "$TMP/run2.out" "restored guest passed its per-step disk checks"
ok "restored at step $k1 (snapshot after step $K): data before there, after gone, queue positions kept"

# ---- the images, with qemu-io ----
sectors_are "$d/disk.qcow2" qcow2 "$K"
ok "frozen image: sectors 1..$K written, $((K + 1))..$COUNT zero"
sectors_are "$d/disk.s1.qcow2" qcow2 "$COUNT"
ok "the original run's overlay has all $COUNT steps"
[ "$(md5sum < "$d/disk.qcow2")" = "$md5_frozen" ] || fail "the restore wrote the frozen image"
r1=$(ls "$d"/disk.r*.qcow2); [ "$(echo "$r1" | wc -l)" = 1 ] || fail "restore overlays: $r1"
qemu-img info --backing-chain "$r1" | grep -q "^backing file: disk.qcow2 (actual path" || fail "restore overlay not on the frozen image"
sectors_are "$r1" qcow2 "$COUNT"
ok "restore ran on a new overlay $(basename "$r1") on the frozen image"

# ---- and through the guest's cverify mode ----
qemu-img create -q -f qcow2 -b disk.qcow2 -F qcow2 "$d/check.qcow2"
counter_ini "$TMP/v.ini" "$d/check.qcow2" qcow2 "mode=cverify upto=$K count=$COUNT"
blk_run "$TMP/v.ini" "$TMP/v.out" 0
expect_grep "^blk: cverify ok upto $K of $COUNT\$" "$TMP/v.out" "guest verify of the frozen state"
ok "guest cverify: frozen state has steps 1..$K only"

# ---- restore twice: the same result ----
timeout 60 "$VMDECK" run --restore "$d/s1" --timeout 30 >"$TMP/run3.out" 2>"$TMP/run3.err"
st=$?; expect_eq "$st" 0 "second restore ($(cat "$TMP/run3.err"))"
cmp -s "$TMP/run2.out" "$TMP/run3.out" || { diff "$TMP/run2.out" "$TMP/run3.out" | head; fail "second restore differs"; }
[ "$(ls "$d"/disk.r*.qcow2 | wc -l)" = 2 ] || fail "second restore did not get its own overlay"
[ "$(md5sum < "$d/disk.qcow2")" = "$md5_frozen" ] || fail "the second restore wrote the frozen image"
ok "second restore: identical output, its own overlay, frozen image untouched"

# ---- a snapshot of a restored VM chains on ----
timeout 60 "$VMDECK" run --restore "$d/s1" --timeout 30 --snapshot-at 0.2:"$d/s2" \
  >"$TMP/run4.out" 2>"$TMP/run4.err"
st=$?; expect_eq "$st" 0 "restore + snapshot ($(cat "$TMP/run4.err"))"
expect_grep "snapshot $d/s2: paused" "$TMP/run4.err" "snapshot of a restored VM"
timeout 60 "$VMDECK" run --restore "$d/s2" --timeout 30 >"$TMP/run5.out" 2>"$TMP/run5.err"
st=$?; expect_eq "$st" 0 "restore of s2 ($(cat "$TMP/run5.err"))"
expect_grep "^blk: pass\$" "$TMP/run5.out" "guest after restoring s2"
k2=$(first_step "$TMP/run5.out")
[ "$k2" -gt "$k1" ] || fail "s2 restored at step $k2, not after s1's $k1"
s2img=$(sed -n 's/^path = //p' "$d/s2/config.ini")
qemu-img info --backing-chain "$s2img" >"$TMP/chain2" 2>&1
[ "$(grep -c '^image:' "$TMP/chain2")" = 2 ] || { cat "$TMP/chain2"; fail "s2's frozen image is not restore-overlay -> disk"; }
ok "snapshot of a restored VM: s2 at step $k2, chain $(grep '^image:' "$TMP/chain2" | cut -d' ' -f2 | tr '\n' ' ')"

for img in "$d"/*.qcow2; do qcow2_clean "$img"; done
ok "qemu-img check clean on every image ($(ls "$d"/*.qcow2 | wc -l))"

# ---- a raw disk: the overlay is qcow2 with a raw backing file ----
r=$TMP/r; mkdir "$r"
truncate -s 1M "$r/disk.raw"
counter_ini "$TMP/raw.ini" "$r/disk.raw" raw "mode=counter count=$COUNT rate=20"
timeout 60 "$VMDECK" run "$TMP/raw.ini" --timeout 30 --snapshot-at 1:"$r/snap" \
  >"$TMP/raw1.out" 2>"$TMP/raw1.err"
st=$?; expect_eq "$st" 0 "raw run ($(cat "$TMP/raw1.err"))"
qemu-img info --backing-chain "$r/disk.snap.qcow2" | grep -q "^backing file format: raw" || \
  fail "raw disk's overlay has no raw backing"
timeout 60 "$VMDECK" run --restore "$r/snap" --timeout 30 >"$TMP/raw2.out" 2>"$TMP/raw2.err"
st=$?; expect_eq "$st" 0 "raw restore ($(cat "$TMP/raw2.err"))"
expect_grep "^blk: pass\$" "$TMP/raw2.out" "guest after a raw disk's restore"
kr=$(( $(first_step "$TMP/raw2.out") - 1 ))
sectors_are "$r/disk.raw" raw "$kr"
for img in "$r"/*.qcow2; do qcow2_clean "$img"; done
ok "raw disk: frozen at step $kr, qcow2 overlays on it restore and check clean"
