#!/bin/bash
# A guest that never halts and storms exits (port I/O in a tight loop on
# every vCPU) must not take the VM process's control socket with it: stats,
# pause, resume and kill keep answering (latencies are printed, not judged:
# timings belong in benchmarks), and a VNC client still gets its frame.
. "$(dirname "$0")/../lib.sh"
need_kvm

export VMDECK_RUNTIME_DIR=$TMP/run
L=$TMP/lib
trap '"$VMDECK" kill storm --library "$L" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
v() { timeout 20 "$VMDECK" "$@" --library "$L"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

v create storm --template exits --cpus 2 --display on \
  --cmdline "io=100000000000 mmio=0 cpuid=0 msr=0 hlt=0 user=0" >/dev/null || fail "create"
v start storm >/dev/null || fail "start"
sleep 1
for cmd in stats pause resume stats; do
  t0=$(ms)
  if [ $cmd = stats ]; then v stats storm --json >"$TMP/stats.json" || fail "stats during the storm"
  else v $cmd storm || fail "$cmd during the storm"; fi
  echo "$cmd answered in $(( $(ms) - t0 )) ms"
done
python3 - "$TMP/stats.json" <<'PY' || fail "stats show the storm"
import json, sys
d = json.load(open(sys.argv[1]))
v = d["vcpus"][0]
io = v["pio"]["0x500"]["writes"]
print("port 0x500 writes so far:", io)
assert io > 1000, io
PY
port=$(v ls --json | python3 -c "import json,sys; print([e for e in json.load(sys.stdin) if e['name']=='storm'][0]['vnc'].rsplit(':',1)[1])" 2>/dev/null)
if [ -n "$port" ] && [ -x "$VMDECK_BUILD_DIR/tests/tools/vncclient_check" ]; then
  timeout 20 "$VMDECK_BUILD_DIR/tests/tools/vncclient_check" --port "$port" --wait-ms 300 \
    >"$TMP/vnc.out" 2>&1 || { cat "$TMP/vnc.out"; fail "VNC during the storm"; }
  ok "VNC answers during the storm"
fi
t0=$(ms)
v kill storm || fail "kill during the storm"
echo "kill answered in $(( $(ms) - t0 )) ms"
ok "control socket responsive during an exit storm"
echo "1 passed, 0 failed"
