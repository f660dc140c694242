#!/bin/bash
# A read-only disk: the device offers VIRTIO_BLK_F_RO, a write gets IOERR,
# and the image is unchanged.
. "$(dirname "$0")/blk_lib.bash"
for fmt in raw qcow2; do
  img=$TMP/disk.$fmt
  qemu-img create -q -f $fmt "$img" 2M
  qemu-io -f $fmt -c 'write -q -P 0x5a 0 2M' "$img" >/dev/null
  blk_config "$TMP/ro.ini" "$img" $fmt "mode=ro" true
  blk_run "$TMP/ro.ini" "$TMP/ro.out" 0
  expect_grep '^blk: capacity 4096 sectors ro$' "$TMP/ro.out" "RO feature"
  expect_grep '^blk: ro ok (write refused)$' "$TMP/ro.out" "write refused"
  expect_eq "$(blk_first_sum "$TMP/ro.out")" "$(fnv_sector 0x5a)" "read works"
  io_pattern $fmt "$img" 'read -P 0x5a 0 2M'
  # rw mode on a read-only disk must fail (status 1), not crash.
  blk_config "$TMP/rw.ini" "$img" $fmt "mode=rw" true
  blk_run "$TMP/rw.ini" "$TMP/rw.out" 1
  expect_grep '^blk: FAIL write status$' "$TMP/rw.out" "rw on ro"
  ok "read-only $fmt"
done
