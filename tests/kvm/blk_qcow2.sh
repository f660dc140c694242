#!/bin/bash
# The blk guest against a qcow2 image made by qemu-img: the result checks
# clean and qemu-io reads the guest's pattern.
. "$(dirname "$0")/blk_lib.bash"
img=$TMP/disk.qcow2
qemu-img create -q -f qcow2 "$img" 8M
blk_config "$TMP/rw.ini" "$img" qcow2 "mode=rw seed=3"
blk_run "$TMP/rw.ini" "$TMP/rw.out" 0
expect_grep '^blk: capacity 16384 sectors$' "$TMP/rw.out" "capacity"
expect_grep '^blk: pass$' "$TMP/rw.out" "pass"
ok "rw on qcow2"
qcow2_clean "$img"
ok "qemu-img check clean"
io_pattern qcow2 "$img" 'read -P 0xa6 512 512' 'read -P 0 4096 512'
qemu-img convert -f qcow2 -O raw "$img" "$TMP/flat.raw"
check_pattern "$TMP/flat.raw" 16384 3
ok "qemu-io and the pattern check see the guest's data"
blk_config "$TMP/v.ini" "$img" qcow2 "mode=verify seed=3"
blk_run "$TMP/v.ini" "$TMP/v.out" 0
ok "verify run on qcow2"
