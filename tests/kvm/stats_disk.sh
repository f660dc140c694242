#!/bin/bash
# Disk counters reach the stats: a library VM running the blk guest in
# counter mode (it writes a sector per step) shows virtio-blk reads, writes
# and bytes in `vmdeck stats --json`, rising between two samples.
. "$(dirname "$0")/../lib.sh"
need_kvm

export VMDECK_RUNTIME_DIR=$TMP/run
L=$TMP/lib
trap '"$VMDECK" kill d --library "$L" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
mkdir -p "$L/vms/d"
"$VMDECK" img create -f qcow2 "$L/vms/d/d.qcow2" 4M >/dev/null || fail "img create"
cat >"$L/vms/d/vm.ini" <<INI
[vm]
name = d
cpus = 1
memory = 64M
kernel = @guests/blk.elf
cmdline = mode=counter count=200 rate=20

[disk.0]
path = d.qcow2
format = qcow2
INI
"$VMDECK" start d --library "$L" >/dev/null || fail "start"
sleep 1.5
"$VMDECK" stats d --json --library "$L" >"$TMP/s1.json" || fail "stats 1"
sleep 1
"$VMDECK" stats d --json --library "$L" >"$TMP/s2.json" || fail "stats 2"
python3 - "$TMP/s1.json" "$TMP/s2.json" <<'PY' || fail "disk counters"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
print({k: b[k] for k in b if k.startswith("disk")})
assert b["disks"] == 1, b["disks"]
assert b["disk_writes"] > a["disk_writes"] > 0, (a["disk_writes"], b["disk_writes"])
assert b["disk_write_bytes"] >= 512 * b["disk_writes"]
assert b["disk_reads"] > 0
assert b["disk_errors"] == 0
PY
ok "virtio-blk counters in the stats"
echo "1 passed, 0 failed"
