#!/bin/bash
# `vmdeck run` boots each built-in guest: serial output, exit status, and the
# --stats-json counters the exits guest's work must produce exactly.
. "$(dirname "$0")/../lib.sh"
need_kvm

# hello: banner, command line echoed, exit status 0 (and exit=N honoured).
"$VMDECK" run --kernel "$GUESTS/hello.elf" --cmdline "hello from the test" --timeout 30 \
  >"$TMP/hello.out" 2>"$TMP/hello.err" || fail "hello exited $?: $(cat "$TMP/hello.err")"
expect_grep "vmdeck hello guest" "$TMP/hello.out" "hello banner"
expect_grep "cmdline: hello from the test" "$TMP/hello.out" "hello command line"
st=0; "$VMDECK" run --kernel "$GUESTS/hello.elf" --cmdline "exit=7" --timeout 30 >/dev/null 2>&1 || st=$?
expect_eq "$st" 7 "hello exit=7 status"
ok "hello"

# stdin goes to the guest's serial port (8250 RX): hello echo=1 answers lines.
(sleep 0.3; printf 'first line\r\nsecond\n'; sleep 0.3; printf 'quit\n') | \
  "$VMDECK" run --kernel "$GUESTS/hello.elf" --cmdline "echo=1" --timeout 30 >"$TMP/echo.out" 2>&1 \
  || fail "hello echo=1: $(cat "$TMP/echo.out")"
expect_grep "^echo: first line" "$TMP/echo.out" "serial input line 1"
expect_grep "^echo: second" "$TMP/echo.out" "serial input line 2"
ok "serial input"

# The same through its VM definition file.
"$VMDECK" run "$VMDECK_SOURCE_DIR/configs/hello.ini" --timeout 30 >"$TMP/hini.out" 2>&1 \
  || fail "configs/hello.ini: $(cat "$TMP/hini.out")"
expect_grep "cmdline: hello from vmdeck" "$TMP/hini.out" "hello.ini command line"
ok "configs/hello.ini"

# exits: K port writes to 0x500, M MMIO reads+writes at 0xFE000000, H halts.
K=1000 M=100 H=10
"$VMDECK" run --kernel "$GUESTS/exits.elf" --cmdline "io=$K mmio=$M cpuid=50 msr=50 hlt=$H user=100000" \
  --timeout 60 --stats-json "$TMP/exits.json" >"$TMP/exits.out" 2>&1 || fail "exits guest: $(cat "$TMP/exits.out")"
expect_grep "exits: all done" "$TMP/exits.out" "exits guest completion"
python3 - "$TMP/exits.json" "$K" "$M" "$H" <<'PY' || fail "exits guest counters"
import json, sys
d = json.load(open(sys.argv[1])); K, M, H = map(int, sys.argv[2:5])
v = d["vcpus"][0]
def chk(what, got, want):
    if got != want:
        print(f"{what}: got {got}, want {want}"); sys.exit(1)
chk("port 0x500 writes", v["pio"]["0x500"]["writes"], K)
chk("port 0x500 reads", v["pio"]["0x500"]["reads"], 0)
chk("mmio 0xfe000000 reads", v["mmio"]["0xfe000000"]["reads"], M)
chk("mmio 0xfe000000 writes", v["mmio"]["0xfe000000"]["writes"], M)
chk("unclaimed pio 0x500", d["vm"]["unclaimed"]["pio"]["0x500"]["writes"], K)
chk("unclaimed mmio", d["vm"]["unclaimed"]["mmio"]["0xfe000000"]["reads"], M)
# Every exit that reached vmdeck is an io or mmio exit here, and their sum
# equals the per-port/per-address tables.
io = sum(e["reads"] + e["writes"] for e in v["pio"].values())
mm = sum(e["reads"] + e["writes"] for e in v["mmio"].values())
chk("io exits vs port table", v["exit_reasons"].get("io", 0), io)
chk("mmio exits vs address table", v["exit_reasons"].get("mmio", 0), mm)
if "halt_exits" in v["kvm"]:
    chk("kernel halt_exits", v["kvm"]["halt_exits"], H)
chk("stop reason", d["vm"]["stop_reason"], "debug-exit")
print("counters ok:", v["exit_reasons"])
PY
ok "exits counters"

# --trap-msrs: every RDMSR/WRMSR exits to vmdeck, is counted per MSR, and KVM
# still does the access (the guest's own checks pass). The exits guest uses
# IA32_TSC_AUX when the CPU has RDTSCP, else IA32_SYSENTER_CS; its long-mode
# switch writes EFER.
"$VMDECK" run --kernel "$GUESTS/exits.elf" --cmdline "io=0 mmio=0 cpuid=0 msr=$M hlt=0 user=1000" \
  --trap-msrs --timeout 60 --stats-json "$TMP/msr.json" >"$TMP/msr.out" 2>&1 || fail "trap-msrs: $(cat "$TMP/msr.out")"
expect_grep "exits: all done" "$TMP/msr.out" "exits guest completes with MSRs trapped"
python3 - "$TMP/msr.json" "$M" <<'PY' || fail "trapped MSR counters"
import json, sys
d = json.load(open(sys.argv[1])); M = int(sys.argv[2])
v = d["vcpus"][0]
msr = {k: e for k, e in v["msr"].items() if k in ("0x174", "0xc0000103")}
assert len(msr) == 1, v["msr"]
e = next(iter(msr.values()))
assert e["reads"] == M and e["writes"] == M, v["msr"]
assert v["msr"]["0xc0000080"]["writes"] >= 1, "EFER write of the long-mode switch"
assert v["exit_reasons"]["rdmsr"] == sum(x["reads"] for x in v["msr"].values())
assert v["exit_reasons"]["wrmsr"] == sum(x["writes"] for x in v["msr"].values())
print("trapped:", v["msr"])
PY
ok "MSR accesses trapped and counted per MSR"

# smp: every vCPU starts (INIT/SIPI through the in-kernel LAPIC, found in the MP table).
for n in 1 2 4; do
  "$VMDECK" run --kernel "$GUESTS/smp.elf" --cpus $n --cmdline "cpus=$n work=10000" --timeout 60 \
    --stats-json "$TMP/smp$n.json" >"$TMP/smp$n.out" 2>&1 || fail "smp $n: $(cat "$TMP/smp$n.out")"
  expect_grep "smp: $n cpus up" "$TMP/smp$n.out" "smp $n cpus"
  got=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['vcpus']))" "$TMP/smp$n.json")
  expect_eq "$got" "$n" "smp $n vcpus in stats"
done
ok "smp 1/2/4"

# A runaway guest is stopped by --timeout with status 124.
st=0; "$VMDECK" run --kernel "$GUESTS/exits.elf" --cmdline "user=100000000000" --timeout 1 \
  >/dev/null 2>"$TMP/to.err" || st=$?
expect_eq "$st" 124 "timeout status"
expect_grep "timeout" "$TMP/to.err" "timeout message"
ok "timeout"

# SIGINT (Ctrl-C) stops the VM cleanly: status 130, stats still written.
"$VMDECK" run --kernel "$GUESTS/exits.elf" --cmdline "user=100000000000" --timeout 60 \
  --stats-json "$TMP/int.json" >/dev/null 2>&1 &
pid=$!
sleep 0.5
kill -INT $pid
st=0; wait $pid || st=$?
expect_eq "$st" 130 "SIGINT status"
[ -s "$TMP/int.json" ] || fail "no stats after SIGINT"
ok "SIGINT"
echo "1 passed, 0 failed"
