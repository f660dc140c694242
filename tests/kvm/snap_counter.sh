#!/bin/bash
# Snapshots end to end with the counter guest (assets/guests/README.md): take
# a snapshot mid-run while the VM keeps going, restore it, and the output
# continues from the snapshot's step with the same checksums an uninterrupted
# run printed (the counter re-checks its memory region every step); the same
# with 2 vCPUs; the gfx guest's screen after restore equals the screen at
# snapshot time; corrupt snapshots are refused by name before a VM runs.
. "$(dirname "$0")/../lib.sh"
need_kvm

# check_continues RUN1 RUN2 WHAT: every line of RUN2 that RUN1 also reached
# is identical in RUN1, RUN2 starts mid-run, and no self-check failed.
check_continues() {
  local a=$1 b=$2 what=$3 first n
  grep -q "memory changed" "$b" && fail "$what: the guest's memory check failed after restore"
  first=$(grep -m1 "^counter: .*sum" "$b") || fail "$what: no counter output after restore"
  n=$(grep -c "^counter: .*sum" "$b")
  [ "$n" -ge 5 ] || fail "$what: only $n counter lines after restore"
  grep -qxF "$first" "$a" || fail "$what: first restored line '$first' is not in the original run"
  # steps of the original run, in order, from the restored first line on
  sed -n "/^$(printf '%s' "$first" | sed 's/[^a-zA-Z0-9 :]/./g')\$/,\$p" "$a" | grep "^counter: .*sum" \
    > "$TMP/orig.tail"
  grep "^counter: .*sum" "$b" > "$TMP/rest.all"
  m=$(wc -l < "$TMP/orig.tail"); [ "$(wc -l < "$TMP/rest.all")" -lt "$m" ] && m=$(wc -l < "$TMP/rest.all")
  head -n "$m" "$TMP/orig.tail" > "$TMP/orig.head"; mv "$TMP/orig.head" "$TMP/orig.tail"
  head -n "$m" "$TMP/rest.all" > "$TMP/rest.head"
  if [ "${SNAP_ORDERED:-1}" = 1 ]; then
    cmp -s "$TMP/orig.tail" "$TMP/rest.head" || { diff "$TMP/orig.tail" "$TMP/rest.head" | head; \
      fail "$what: restored output differs from the original run"; }
  else
    # several vCPUs interleave differently: compare as sets
    cmp -s <(sort "$TMP/orig.tail") <(sort "$TMP/rest.head") || \
      [ "$(comm -13 <(sort -u "$a") <(sort -u "$TMP/rest.head") | wc -l)" = 0 ] || \
      fail "$what: restored lines not in the original run"
  fi
  ok "$what: restored at '$first', $n lines, sums as in the uninterrupted run"
}

# ---- 1 vCPU ----
"$VMDECK" run --kernel "$GUESTS/counter.elf" --cmdline "rate=20 region=1024" --mem 64M \
  --timeout 4 --snapshot-at 1.5:"$TMP/s1" >"$TMP/run1.out" 2>"$TMP/run1.err"
st=$?; expect_eq "$st" 124 "original run status ($(cat "$TMP/run1.err"))"
expect_grep "snapshot $TMP/s1: paused" "$TMP/run1.err" "snapshot message"
for f in config.ini state.bin memory.bin; do [ -f "$TMP/s1/$f" ] || fail "snapshot has no $f"; done
[ "$(stat -c %s "$TMP/s1/memory.bin")" = $((64 << 20)) ] || fail "memory.bin is not RAM-sized"
used=$(du -k "$TMP/s1/memory.bin" | cut -f1)
[ "$used" -lt 16384 ] || fail "memory.bin not sparse: $used KiB allocated for 64 MiB"
ls -d "$TMP"/s1.tmp.* 2>/dev/null && fail "temporary snapshot directory left behind"
# the VM kept running after the snapshot
last=$(grep -c "^counter: .*sum" "$TMP/run1.out")
[ "$last" -ge 50 ] || fail "the VM did not run on after the snapshot ($last lines in 4 s)"
ok "snapshot mid-run, VM ran on ($last lines), memory.bin sparse ($used KiB)"

"$VMDECK" run --restore "$TMP/s1" --timeout 2 >"$TMP/run2.out" 2>"$TMP/run2.err"
st=$?; expect_eq "$st" 124 "restored run status ($(cat "$TMP/run2.err"))"
expect_grep "restored $TMP/s1 in" "$TMP/run2.err" "restore message"
grep -q "vmdeck counter guest" "$TMP/run2.out" && fail "restored guest booted again"
check_continues "$TMP/run1.out" "$TMP/run2.out" "cpus=1"
# restoring twice from the same snapshot gives the same output (MAP_PRIVATE:
# the first restored run did not write into memory.bin)
"$VMDECK" run --restore "$TMP/s1" --timeout 1 >"$TMP/run3.out" 2>/dev/null
head -3 "$TMP/run2.out" > "$TMP/a3"; head -3 "$TMP/run3.out" > "$TMP/b3"
cmp -s "$TMP/a3" "$TMP/b3" || fail "second restore differs from the first: memory.bin was modified"
ok "snapshot unchanged by a restored run"

# A snapshot of a restored VM (RAM mapped from the first memory.bin) restores too.
"$VMDECK" run --restore "$TMP/s1" --timeout 2.5 --snapshot-at 1:"$TMP/s1b" >"$TMP/run4.out" 2>"$TMP/run4.err"
expect_grep "snapshot $TMP/s1b: paused" "$TMP/run4.err" "snapshot of a restored VM"
"$VMDECK" run --restore "$TMP/s1b" --timeout 1.5 >"$TMP/run5.out" 2>"$TMP/run5.err"
check_continues "$TMP/run1.out" "$TMP/run5.out" "snapshot of a restored VM"

# ---- 2 vCPUs ----
"$VMDECK" run --kernel "$GUESTS/counter.elf" --cmdline "cpus=2 rate=20 region=1024" --cpus 2 \
  --mem 64M --timeout 4 --snapshot-at 1.5:"$TMP/s2" >"$TMP/smp1.out" 2>"$TMP/smp1.err"
expect_grep "snapshot $TMP/s2: paused" "$TMP/smp1.err" "cpus=2 snapshot"
"$VMDECK" run --restore "$TMP/s2" --timeout 2 >"$TMP/smp2.out" 2>"$TMP/smp2.err"
expect_grep "restored" "$TMP/smp2.err" "cpus=2 restore"
for c in 0 1; do
  grep "^counter: cpu $c " "$TMP/smp1.out" > "$TMP/smp1.$c"
  grep "^counter: cpu $c " "$TMP/smp2.out" > "$TMP/smp2.$c"
  check_continues "$TMP/smp1.$c" "$TMP/smp2.$c" "cpus=2, cpu $c"
done

# ---- display: the screen comes back ----
"$VMDECK" run --kernel "$GUESTS/gfx.elf" --cmdline "scene=box fps=20" --display 640x480 --vnc off \
  --timeout 3 --snapshot-at 1.5:"$TMP/g1" >"$TMP/gfx1.out" 2>"$TMP/gfx1.err"
expect_grep "snapshot $TMP/g1: paused" "$TMP/gfx1.err" "gfx snapshot"
[ -f "$TMP/g1/screen.png" ] || fail "no screen.png in a display VM's snapshot"
"$VMDECK" run --restore "$TMP/g1" --vnc off --timeout 1 --screenshot-at 0:"$TMP/g1-after.png" \
  --screenshot-on-exit "$TMP/g1-later.png" >"$TMP/gfx2.out" 2>"$TMP/gfx2.err"
cmp -s "$TMP/g1/screen.png" "$TMP/g1-after.png" || fail "PNG after restore differs from the PNG at snapshot time"
cmp -s "$TMP/g1/screen.png" "$TMP/g1-later.png" && fail "the restored gfx guest did not draw on"
ok "display: PNG after restore == PNG at snapshot time, and the guest draws on"

# ---- refusals: nothing runs ----
refuse() { # DIR PATTERN WHAT
  "$VMDECK" run --restore "$1" --timeout 1 >"$TMP/bad.out" 2>"$TMP/bad.err"
  st=$?
  expect_eq "$st" 1 "$3: exit status ($(cat "$TMP/bad.err"))"
  expect_grep "$2" "$TMP/bad.err" "$3: named error"
  [ -s "$TMP/bad.out" ] && fail "$3: the guest ran"
  ok "$3 refused: $(head -c 200 "$TMP/bad.err")"
}
mk() { rm -rf "$TMP/bad"; cp -r --sparse=always "$TMP/s1" "$TMP/bad"; }
mk; truncate -s 1000 "$TMP/bad/state.bin"; refuse "$TMP/bad" "truncated" "truncated state.bin"
mk; sz=$(stat -c %s "$TMP/bad/state.bin"); truncate -s $((sz - 48)) "$TMP/bad/state.bin"
refuse "$TMP/bad" "missing-commit-marker" "state.bin without its commit marker"
mk; printf '\x55' | dd of="$TMP/bad/state.bin" bs=1 seek=200 conv=notrunc 2>/dev/null
refuse "$TMP/bad" "crc-mismatch" "bit flip in state.bin"
mk; printf 'X' | dd of="$TMP/bad/state.bin" bs=1 seek=0 conv=notrunc 2>/dev/null
refuse "$TMP/bad" "bad-magic" "bad magic"
mk; truncate -s $((32 << 20)) "$TMP/bad/memory.bin"; refuse "$TMP/bad" "memory file shorter" "short memory.bin"
mk; sed -i 's/^memory = .*/memory = 128M/' "$TMP/bad/config.ini"
refuse "$TMP/bad" "bad-device-state" "config.ini disagreeing with the state"
mk; rm "$TMP/bad/memory.bin"; refuse "$TMP/bad" "memory.bin" "missing memory.bin"

# ---- snapshot into an existing directory: refused, the VM runs on ----
"$VMDECK" run --kernel "$GUESTS/counter.elf" --cmdline "rate=20" --mem 64M --timeout 2 \
  --snapshot-at 0.5:"$TMP/s1" >"$TMP/ex.out" 2>"$TMP/ex.err"
expect_grep "snapshot $TMP/s1 failed, the VM runs on: .*already exists" "$TMP/ex.err" "existing dir"
[ "$(grep -c '^counter: .*sum' "$TMP/ex.out")" -ge 25 ] || fail "VM stopped after a refused snapshot"
ok "snapshot onto an existing directory refused, VM ran on"
