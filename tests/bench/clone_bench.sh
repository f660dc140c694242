#!/bin/bash
# Clone benchmark: wall time of `vmdeck clone` (the whole command: snapshot,
# new vm.ini, disk overlays, start of the clone's VM process until its
# control socket answers).
#  1. linked clone of a RUNNING counter guest, 256 MiB / 1 GiB / 4 GiB RAM
#     (the snapshot writes only resident pages; the clone maps memory.bin
#     MAP_PRIVATE, so it should not grow with RAM size);
#  2. clone of a STOPPED VM with a raw disk holding DATA MiB of random data:
#     linked (a qcow2 overlay, O(1)) vs --full (a copy).
# QEMU has no clone; its nearest operation (migrate to a file + -incoming)
# is measured on the same guest by snapshot_bench.sh.
# Usage: VMDECK=build/vmdeck GUESTS=build/assets/guests tests/bench/clone_bench.sh [OUT.md]
set -u
VMDECK=${VMDECK:-build/vmdeck}; GUESTS=${GUESTS:-build/assets/guests}
OUT=${1:-$(dirname "$0")/results/clone_bench.md}
REPS=${REPS:-3}; DATA=${DATA:-256}
W=$(mktemp -d /tmp/clonebench.XXXXXX)
export VMDECK_RUNTIME_DIR=$W/run VMDECK_GUESTS=$GUESTS
L=$W/lib
v() { "$VMDECK" "$@" --library "$L"; }
cleanup() { for d in "$L"/vms/*; do [ -d "$d" ] && v kill "$(basename "$d")" >/dev/null 2>&1; done; rm -rf "$W"; }
trap cleanup EXIT
now() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

{
echo "# clone_bench"
echo
echo "$(date -u +%Y-%m-%d) on $(uname -r), $(nproc) CPUs; \`tests/bench/clone_bench.sh\` (REPS=$REPS, median)."
echo "Wall time of the whole \`vmdeck clone\` command."
echo
echo "## Linked clone of a running counter guest (region=1024 KiB dirty)"
echo
echo "| guest RAM | clone ms | snapshot bytes written | clone RSS of guest RAM after 1 s |"
echo "|---|---|---|---|"
} > "$W/out.md"

for mem in 256M 1G 4G; do
  t=(); bytes=0; rss=0
  for i in $(seq "$REPS"); do
    n=s$mem$i
    v create $n --template counter --memory $mem --cmdline "rate=20 region=1024" >/dev/null || exit 1
    v start $n >/dev/null || exit 1
    sleep 1
    a=$(now); v clone $n c$n >/dev/null || { echo "clone failed" >&2; exit 1; }; b=$(now)
    t+=("$(ms "$a" "$b")")
    bytes=$(du -B1 -s "$L/vms/$n/snapshots/clone-c$n" | cut -f1)
    sleep 1
    pid=$(cat "$VMDECK_RUNTIME_DIR/c$n/pid")
    rss=$(awk '/memory.bin/ { f = 1; next } /^[0-9a-f]+-/ { f = 0 } f && /^Rss:/ { s += $2 } END { print s + 0 }' /proc/$pid/smaps)
    v kill c$n >/dev/null; v kill $n >/dev/null
  done
  echo "| $mem | $(printf '%s\n' "${t[@]}" | median) | $bytes | ${rss} KiB |" >> "$W/out.md"
done

# A stopped VM with a raw disk full of data.
dd if=/dev/urandom of="$W/data.raw" bs=1M count="$DATA" status=none
v create d --template counter >/dev/null
printf '\n[disk.0]\npath = %s\nformat = raw\n' "$W/data.raw" >> "$L/vms/d/vm.ini"
{
echo
echo "## Clone of a stopped VM with a raw disk of $DATA MiB of random data"
echo
echo "| mode | clone ms | bytes the clone's disk uses |"
echo "|---|---|---|"
} >> "$W/out.md"
for mode in linked full; do
  t=()
  for i in $(seq "$REPS"); do
    a=$(now); v clone d d$mode$i --$mode >/dev/null || { echo "clone --$mode failed" >&2; exit 1; }; b=$(now)
    t+=("$(ms "$a" "$b")")
    used=$(du -B1 -s "$L/vms/d$mode$i" | cut -f1)
  done
  echo "| $mode | $(printf '%s\n' "${t[@]}" | median) | $used |" >> "$W/out.md"
done
cat "$W/out.md"
cp "$W/out.md" "$OUT"
