#!/bin/bash
# Multiboot kernels that are not vmdeck's own: a minimal kernel written from
# the spec's example, as an a.out-kludge flat binary and as ELF32; and one
# that triple-faults. Each boots, sees its command line and memory map,
# prints on COM1 and exits through port 0xF4 with its value.
. "$(dirname "$0")/../lib.sh"
need_kvm
command -v nasm >/dev/null || fail "nasm missing"
D="$(dirname "$0")/data"
nasm -f bin -DAOUT -o "$TMP/f.bin" "$D/foreign_mb.asm" || fail "nasm aout"
nasm -f elf32 -o "$TMP/f.o" "$D/foreign_mb.asm" || fail "nasm elf32"
ld -m elf_i386 -Ttext 0x100000 -e start -o "$TMP/f.elf" "$TMP/f.o" || fail "ld"
nasm -f bin -o "$TMP/tf.bin" "$D/triple_fault.asm" || fail "nasm triple"

for k in f.bin f.elf; do
  st=0; "$VMDECK" run --kernel "$TMP/$k" --cmdline "one two three" --timeout 30 >"$TMP/$k.out" 2>&1 || st=$?
  expect_eq "$st" 42 "$k exit status"
  expect_grep "foreign: one two three" "$TMP/$k.out" "$k command line"
  expect_grep "foreign: available regions 2" "$TMP/$k.out" "$k memory map"
  ok "$k"
done
# More than 3 GiB of RAM: the map has a third available region above 4 GiB.
st=0; "$VMDECK" run --kernel "$TMP/f.bin" --mem 3200M --timeout 30 >"$TMP/big.out" 2>&1 || st=$?
expect_eq "$st" 42 "3200M exit status"
expect_grep "foreign: available regions 3" "$TMP/big.out" "memory above 4 GiB in the map"
ok "memory above the PCI hole"

st=0; "$VMDECK" run --kernel "$TMP/tf.bin" --timeout 30 >"$TMP/tf.out" 2>"$TMP/tf.err" || st=$?
expect_eq "$st" 2 "triple fault status"
expect_grep "triple fault" "$TMP/tf.err" "triple fault message"
expect_grep "rip 0000000000100" "$TMP/tf.err" "register dump"
ok "triple fault"
echo "1 passed, 0 failed"
