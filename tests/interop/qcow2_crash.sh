#!/bin/bash
# kill -9 a qcow2 writer (allocation-heavy random writes, zeroes, discards,
# periodic flushes) at many points; afterwards `qemu-img check` may report
# leaks (exit 3) but never corruption, and everything flushed reads back.
. "$(dirname "$0")/../lib.sh"
command -v qemu-img >/dev/null || { echo "SKIP: qemu-img missing"; exit 77; }
TOOLS=$VMDECK_BUILD_DIR/tests/tools
[ -x "$TOOLS/storage_crash" ] || fail "storage_crash not built"
cd "$TMP"
delays=(0.01 0.03 0.05 0.08 0.12 0.17 0.23 0.3 0.4 0.5 0.65 0.8 1.0 1.3 1.7)
sizes=(512 4096 65536)
leaky=0
for i in "${!delays[@]}"; do
  d=${delays[$i]}; cs=${sizes[$((i % 3))]}; seed=$((1000 + i))
  rm -f c.qcow2 log.txt
  "$TOOLS/storage_img" create -f qcow2 -o cluster_size=$cs c.qcow2 32M >/dev/null || fail "create"
  "$TOOLS/storage_crash" write c.qcow2 $seed >log.txt 2>err.txt &
  pid=$!
  sleep "$d"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  [ -s err.txt ] && { cat err.txt; fail "writer failed before the kill (delay $d)"; }
  qemu-img check c.qcow2 >check.out 2>&1; rc=$?
  if [ $rc != 0 ] && [ $rc != 3 ]; then tail -20 check.out; fail "qemu-img check rc=$rc after kill at ${d}s (cluster $cs)"; fi
  [ $rc = 3 ] && leaky=$((leaky + 1))
  "$TOOLS/storage_img" check c.qcow2 >ours.out; orc=$?
  [ $orc = $rc ] || { tail -5 ours.out; fail "our check rc=$orc, qemu-img rc=$rc"; }
  "$TOOLS/storage_crash" verify c.qcow2 $seed log.txt >verify.out 2>&1 || { cat verify.out; fail "flushed data lost after kill at ${d}s (cluster $cs)"; }
  ok "kill at ${d}s, cluster $cs: check rc=$rc, $(cat verify.out)"
done
echo "$leaky of ${#delays[@]} runs leaked clusters (allowed); none corrupt"
