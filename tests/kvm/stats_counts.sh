#!/bin/bash
# Stats correctness through the control socket: the exits guest told to do
# K port writes and H halts shows exactly K writes on port 0x500 (and K+ in
# the io column) and H halt exits; M CPUIDs at CPL0 show up (on PVM) as
# emulated instructions, at least M. The guest then spins at CPL3 so the VM
# is sampled while running.
. "$(dirname "$0")/../lib.sh"
need_kvm
command -v python3 >/dev/null || { echo "SKIP: python3 needed"; exit 77; }

export VMDECK_RUNTIME_DIR=$TMP/run
L=$TMP/lib
cleanup() { "$VMDECK" kill cnt --library "$L" >/dev/null 2>&1; rm -rf "$TMP"; }
trap cleanup EXIT
K=1234 H=17 M=50
"$VMDECK" create cnt --template exits --cmdline "io=$K mmio=5 cpuid=$M msr=0 hlt=$H user=1000000000000" \
  --library "$L" >/dev/null || fail "create"
"$VMDECK" start cnt --library "$L" >/dev/null || fail "start"
for _ in $(seq 100); do
  "$VMDECK" console cnt --wait 0 --library "$L" </dev/null > "$TMP/con"
  grep -q "exits: user .* start" "$TMP/con" && break
  sleep 0.1
done
expect_grep "exits: hlt $H done" "$TMP/con" "guest finished the hlt phase"
"$VMDECK" stats cnt --json --library "$L" > "$TMP/s.json" || fail "stats"
python3 - "$TMP/s.json" "$K" "$H" "$M" <<'PY' || { head -c 3000 "$TMP/s.json"; fail "counts"; }
import json, sys
d = json.load(open(sys.argv[1])); K, H, M = map(int, sys.argv[2:5])
v = d["vcpus"][0]; br = v["by_reason"]
w = v["pio"]["0x500"]
assert w["writes"] == K and w["reads"] == 0, ("port 0x500", w)
assert br["hlt"] == H, ("hlt", br["hlt"], H)
assert br["io"] >= K, br
assert v["mmio"]["0xfe000000"]["writes"] == 5 and v["mmio"]["0xfe000000"]["reads"] == 5, v["mmio"]
assert br["mmio"] >= 10, br
assert br["emulation"] >= M or br["cpuid"] >= M, br
assert br["total"] == v["exits_kernel"] + v["exits_user"], br
assert v["mode"] == "long" and v["paging"] is True, v
assert d["unclaimed_pio"] >= K and d["unclaimed_mmio"] >= 10, d
assert v["host_cpu_ns"] > 0 and v["last_cpu"] >= 0, v
print("io on 0x500 = %d, hlt = %d, emulation = %d, total = %d (kernel %d, vmdeck %d)" % (
    w["writes"], br["hlt"], br["emulation"], br["total"], v["exits_kernel"], v["exits_user"]))
PY
ok "exact counts: $K writes on port 0x500, $H halts"
