#!/bin/bash
# The blk guest against a qcow2 overlay on a qcow2 base (both by qemu-img):
# reads see the base through the overlay, writes go to the overlay only.
. "$(dirname "$0")/blk_lib.bash"
base=$TMP/base.qcow2 top=$TMP/top.qcow2
qemu-img create -q -f qcow2 "$base" 8M
qemu-io -f qcow2 -c 'write -q -P 0x11 0 64k' -c 'write -q -P 0x22 6M 64k' "$base" >/dev/null
qemu-img create -q -f qcow2 -b "$base" -F qcow2 "$top"
blk_config "$TMP/rw.ini" "$top" qcow2 "mode=rw seed=5"
blk_run "$TMP/rw.ini" "$TMP/rw.out" 0
expect_grep '^blk: pass$' "$TMP/rw.out" "pass"
expect_eq "$(blk_first_sum "$TMP/rw.out")" "$(fnv_sector 0x11)" "first read comes from the base"
ok "rw on an overlay, base data visible"
qcow2_clean "$top"
qcow2_clean "$base"
ok "overlay and base check clean"
io_pattern qcow2 "$base" 'read -P 0x11 0 64k' 'read -P 0x22 6M 64k'
io_pattern qcow2 "$top" 'read -P 0xa0 512 512' 'read -P 0x11 1024 3072' 'read -P 0x22 6M 64k'
qemu-img convert -f qcow2 -O raw "$top" "$TMP/flat.raw"
check_pattern "$TMP/flat.raw" 16384 5
ok "base unchanged; overlay = base + guest writes"
blk_config "$TMP/v.ini" "$top" qcow2 "mode=verify seed=5"
blk_run "$TMP/v.ini" "$TMP/v.out" 0
ok "verify run on the overlay"
