#!/bin/bash
# The built-in guests are valid Multiboot kernels independent of vmdeck:
# boot hello, exits and smp under QEMU (TCG, no KVM) and check their serial
# output and exit status. QEMU's isa-debug-exit turns a guest write of v to
# port 0xF4 into exit status (v << 1) | 1.
set -u
: "${GUESTS:?GUESTS not set (run through ctest)}"
QEMU=${QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null || { echo "SKIP: $QEMU not installed"; exit 77; }
TMP=$(mktemp -d /tmp/vmdeck-qemu-guests.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# run NAME OUT EXPECTED_STATUS QEMU-ARGS... : boot $GUESTS/NAME.elf
run() {
  local name=$1 out=$2 want=$3; shift 3
  [ -f "$GUESTS/$name.elf" ] || fail "$GUESTS/$name.elf missing (build the 'guests' target)"
  local st=0
  timeout 120 "$QEMU" -machine accel=tcg -m 64M -kernel "$GUESTS/$name.elf" \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -serial "file:$out" \
    -display none -monitor none -no-reboot "$@" </dev/null >"$out.stderr" 2>&1 || st=$?
  if [ "$st" != "$want" ]; then
    echo "--- serial:"; cat "$out"; echo "--- stderr:"; cat "$out.stderr"
    fail "$name: exit status $st, expected $want"
  fi
}
# expect FILE REGEX...: every line regex matches some whole line of FILE
expect() {
  local f=$1; shift
  for re in "$@"; do
    grep -Eqx -- "$re" "$f" || { echo "--- $f:"; cat "$f"; fail "no line matching '$re'"; }
  done
}

# hello: banner, command line (QEMU prepends the kernel path), exit 0 -> 1.
run hello "$TMP/hello.out" 1 -append "hello from qemu"
expect "$TMP/hello.out" 'vmdeck hello guest' 'cmdline: .*hello from qemu'
ok "hello"
run hello "$TMP/hello7.out" 15 -append "exit=7"
ok "hello exit=7 -> status 15"

# exits: every phase with small counts, final line, exit 0.
run exits "$TMP/exits.out" 1 -append "io=200 mmio=50 cpuid=50 msr=50 hlt=20 user=100000"
expect "$TMP/exits.out" 'vmdeck exits guest' \
  'exits: io=200 mmio=50 cpuid=50 msr=50 hlt=20 user=100000' \
  'exits: io 200 start port 0x500' 'exits: io 200 done' \
  'exits: mmio 50 start addr 0xfe000000' 'exits: mmio 50 done' \
  'exits: cpuid 50 done' 'exits: msr 50 start msr 0x[0-9a-f]+' 'exits: msr 50 done' \
  'exits: hlt 20 start timer (lapic|pit)' 'exits: hlt 20 done' \
  'exits: user 100000 done sum 0x[0-9a-f]{16}' 'exits: all done'
# The CPL3 checksum is deterministic: the same under any VMM.
expect "$TMP/exits.out" 'exits: user 100000 done sum 0xe9767b105ecad8d5'
ok "exits"
run exits "$TMP/exitsbad.out" 5 -append "io=12x"
expect "$TMP/exitsbad.out" 'error: bad number in io=12x'
ok "exits rejects a bad number (status 2 -> 5)"

# smp: both vCPUs check in and finish their CPL3 work.
run smp "$TMP/smp.out" 1 -smp 2 -append "cpus=2 work=100000"
expect "$TMP/smp.out" 'vmdeck smp guest' 'smp: cpu 0 apic [0-9]+ up' 'smp: cpu 1 apic [0-9]+ up' \
  'smp: 2 cpus up'
[ "$(grep -c '^smp: cpu [01] work done sum 0xe9767b105ecad8d5$' "$TMP/smp.out")" = 2 ] \
  || { cat "$TMP/smp.out"; fail "smp: work sums"; }
ok "smp -smp 2"
# cpus=3 on a 2-vCPU machine must fail with status 1 (-> 3).
run smp "$TMP/smp3.out" 3 -smp 2 -append "cpus=3 work=1000 timeout=500"
expect "$TMP/smp3.out" 'smp: 2 cpus up' 'smp: expected 3 cpus'
ok "smp reports a missing cpu"

# gfx: sets up a framebuffer (QEMU: Bochs VGA, since QEMU's Multiboot loader
# ignores the video request), the i8042 and the timer, draws 5 frames, exits 0.
run gfx "$TMP/gfx.out" 1 -append "frames=5 fps=50"
expect "$TMP/gfx.out" 'vmdeck gfx guest' 'gfx: framebuffer 1024x768x32 pitch 4096 at 0x[0-9a-f]+ \((multiboot|bochs-vga)\)' \
  'gfx: ready' 'gfx: 5 frames done'
ok "gfx frames=5"
