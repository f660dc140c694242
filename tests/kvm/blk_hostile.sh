#!/bin/bash
# A looping descriptor chain (d0 -> d0): the device sets DEVICE_NEEDS_RESET,
# logs once, and the VM runs on; after a reset the device works again.
. "$(dirname "$0")/blk_lib.bash"
img=$TMP/disk.raw
qemu-img create -q -f raw "$img" 1M
blk_config "$TMP/loop.ini" "$img" raw "mode=loop"
blk_run "$TMP/loop.ini" "$TMP/loop.out" 0
expect_grep '^blk: loop chain -> needs reset ok$' "$TMP/loop.out" "needs reset"
expect_grep '^blk: read after reset ok$' "$TMP/loop.out" "works after reset"
expect_grep 'needs reset: descriptor chain loops' "$TMP/loop.out.err" "logged"
[ "$(grep -c 'needs reset' "$TMP/loop.out.err")" = 1 ] || fail "logged more than once"
ok "looping chain -> NEEDS_RESET, VM exits normally"
