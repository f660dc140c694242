#!/bin/bash
# Bad input to `vmdeck run`: each gives a one-line error naming the problem
# and a non-zero exit, never a crash (status >= 128 would mean a signal).
. "$(dirname "$0")/../lib.sh"

# expect_error STATUS_FILE ERR_FILE PATTERN WHAT
check_err() {
  local st=$1 errf=$2 pat=$3 what=$4
  [ "$st" -ne 0 ] || fail "$what: exit status 0"
  [ "$st" -lt 128 ] || fail "$what: killed by a signal (status $st)"
  grep -q -- "$pat" "$errf" || { cat "$errf"; fail "$what: message lacks '$pat'"; }
  ok "$what"
}
run_bad() { # WHAT PATTERN ARGS...
  local what=$1 pat=$2; shift 2
  local st=0
  "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || st=$?
  check_err "$st" "$TMP/err" "$pat" "$what"
}

printf 'not an elf at all' >"$TMP/junk"
head -c 20000 /dev/urandom >"$TMP/random"
cp /bin/true "$TMP/plain.elf"   # an ELF without a Multiboot header

# No KVM needed for these: they fail before the VM is created.
run_bad "missing kernel file" "no-such-kernel: No such file" \
  "$VMDECK" run --kernel "$TMP/no-such-kernel"
run_bad "bad --mem" "--mem 'lots'" "$VMDECK" run --kernel "$TMP/junk" --mem lots
run_bad "bad --cpus" "--cpus '0'" "$VMDECK" run --kernel "$TMP/junk" --cpus 0
run_bad "unknown option" "usage" "$VMDECK" run --frobnicate
run_bad "no such VM" "no such file or VM" "$VMDECK" run no-such-vm --library "$TMP/lib"

# Config files: the error names file, line and key.
printf '[vm]\nname = x\ncpus = 2\ncolour = blue\n' >"$TMP/unknown.ini"
run_bad "unknown key" "unknown.ini:4: \[vm\] colour: unknown key" "$VMDECK" run "$TMP/unknown.ini"
printf '[vm]\nmemory = 12 potatoes\n' >"$TMP/badsize.ini"
run_bad "bad size" "badsize.ini:2: \[vm\] memory" "$VMDECK" run "$TMP/badsize.ini"
printf '[vm]\nmemory = 999999999999T\n' >"$TMP/huge.ini"
run_bad "huge size" "huge.ini:2: \[vm\] memory" "$VMDECK" run "$TMP/huge.ini"
printf '[vm]\nkernel = missing.elf\n' >"$TMP/nokernel.ini"
run_bad "kernel file missing" "\[vm\] kernel: .*missing.elf" "$VMDECK" run "$TMP/nokernel.ini"
printf '[vm]\ncpus = 1\n[gpu]\nvendor = x\n' >"$TMP/section.ini"
run_bad "unknown section" "section.ini:4: \[gpu\]" "$VMDECK" run "$TMP/section.ini"
printf '[vm\nname = x\n' >"$TMP/syntax.ini"
run_bad "syntax error" "syntax.ini:1" "$VMDECK" run "$TMP/syntax.ini"
{ printf '[vm]\ncmdline = '; head -c 300 /dev/zero | tr '\0' a; printf '\n'; } >"$TMP/long.ini"
run_bad "line too long" "long.ini:2: line longer" "$VMDECK" run "$TMP/long.ini"

# Missing /dev/kvm, simulated by the device path override.
VMDECK_KVM_DEVICE="$TMP/no-kvm" run_bad "missing /dev/kvm" "no such device: KVM is not available" \
  "$VMDECK" run --kernel "$GUESTS/hello.elf"
VMDECK_KVM_DEVICE=/dev/null run_bad "not a KVM device" "KVM API version" \
  "$VMDECK" run --kernel "$GUESTS/hello.elf"
st=0; VMDECK_KVM_DEVICE="$TMP/no-kvm" "$VMDECK" doctor >"$TMP/out" 2>&1 || st=$?
check_err "$st" "$TMP/out" "modprobe" "doctor without KVM"
expect_grep "FAIL" "$TMP/out" "doctor verdict without KVM"

need_kvm
run_bad "non-ELF kernel" "no Multiboot header" "$VMDECK" run --kernel "$TMP/junk"
run_bad "random bytes" "no Multiboot header" "$VMDECK" run --kernel "$TMP/random"
run_bad "ELF without Multiboot header" "no Multiboot header" "$VMDECK" run --kernel "$TMP/plain.elf"
run_bad "memory larger than the host" "more than this host has" \
  "$VMDECK" run --kernel "$GUESTS/hello.elf" --mem 900G
run_bad "too many vCPUs" "cpus" "$VMDECK" run --kernel "$GUESTS/hello.elf" --cpus 65
# A kernel that loads where vmdeck keeps its boot information.
printf '\x02\xb0\xad\x1b\x00\x00\x01\x00\xfe\x4f\x51\xe4\x00\x70\x00\x00\x00\x70\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x20\x70\x00\x00' >"$TMP/low.bin"
run_bad "kernel over boot info" "overlaps memory vmdeck uses" "$VMDECK" run --kernel "$TMP/low.bin"
# Truncated Multiboot header fields (a.out kludge flag, file ends).
printf '\x02\xb0\xad\x1b\x00\x00\x01\x00\xfe\x4f\x51\xe4' >"$TMP/trunc.bin"
run_bad "truncated a.out header" "truncated" "$VMDECK" run --kernel "$TMP/trunc.bin"
# Unknown required header flag (bit 5).
printf '\x02\xb0\xad\x1b\x20\x00\x00\x00\xde\x4f\x52\xe4' >"$TMP/req.bin"
run_bad "unsupported required flag" "unsupported features" "$VMDECK" run --kernel "$TMP/req.bin"
doctor_st=0; "$VMDECK" doctor >"$TMP/doctor.out" 2>&1 || doctor_st=$?
expect_eq "$doctor_st" 0 "doctor status with KVM"
expect_grep "can run vmdeck VMs" "$TMP/doctor.out" "doctor verdict"
ok "doctor"
echo "1 passed, 0 failed"
