#!/bin/bash
# Pause/resume with other work in between: the guest must run again after
# `resume`, and stay paused until then.
#  - stats while paused (they ask every vCPU for a register sample) then
#    resume: the vCPUs run again (a request served while paused once left
#    kvm_run->immediate_exit set, so KVM_RUN returned EINTR forever);
#  - a snapshot of a paused VM leaves it paused (its own pause/resume once
#    resumed the VM the user had paused).
. "$(dirname "$0")/../lib.sh"
need_kvm

export VMDECK_RUNTIME_DIR=$TMP/run
L=$TMP/lib
trap '"$VMDECK" kill pn --library "$L" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
v() { timeout 20 "$VMDECK" "$@" --library "$L"; }
# writes to port 0x500 so far (the exits guest's loop)
io() {
  v stats pn --json | python3 -c "import json,sys; print(json.load(sys.stdin)['vcpus'][0]['pio'].get('0x500',{}).get('writes',0))"
}

v create pn --template exits --cpus 1 \
  --cmdline "io=100000000000 mmio=0 cpuid=0 msr=0 hlt=0 user=0" >/dev/null || fail "create"
v start pn >/dev/null || fail "start"
sleep 0.5

# ---- stats while paused, then resume ----
v pause pn >/dev/null || fail "pause"
A=$(io); B=$(io)
[ "$A" = "$B" ] || fail "the guest ran while paused ($A -> $B)"
v resume pn >/dev/null || fail "resume"
sleep 1
# (this stats request itself used to unstick the vCPU: count only what ran
# before it; a running guest does tens of thousands of exits a second)
C=$(io)
[ "$C" -gt $((B + 2000)) ] || fail "the guest did not run again after stats while paused + resume ($B -> $C)"
ok "stats while paused, then resume: the guest runs on ($B -> $C)"

# ---- snapshot of a paused VM ----
v pause pn >/dev/null || fail "pause 2"
A=$(io)
v snapshot pn s1 >"$TMP/out" 2>&1 || fail "snapshot of a paused VM: $(cat "$TMP/out")"
sleep 0.5
B=$(io)
[ "$A" = "$B" ] || fail "the snapshot resumed a paused VM ($A -> $B)"
expect_eq "$(v ls | awk '$1 == "pn" { print $2 }')" paused "state after snapshot of a paused VM"
v resume pn >/dev/null || fail "resume 2"
sleep 1
C=$(io)
[ "$C" -gt $((B + 2000)) ] || fail "the guest did not run after resume ($B -> $C)"
ok "snapshot of a paused VM leaves it paused ($A = $B), resume runs it ($C)"
echo "2 passed, 0 failed"
