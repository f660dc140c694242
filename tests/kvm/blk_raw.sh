#!/bin/bash
# The blk guest against a raw image: write+verify, data persists to a second
# (verify-only) run, qemu-io sees the pattern at the right offsets.
. "$(dirname "$0")/blk_lib.bash"
img=$TMP/disk.raw
qemu-img create -q -f raw "$img" 4M
blk_config "$TMP/rw.ini" "$img" raw "mode=rw seed=7"
blk_run "$TMP/rw.ini" "$TMP/rw.out" 0
expect_grep '^blk: capacity 8192 sectors$' "$TMP/rw.out" "capacity"
expect_grep '^blk: id vmdeck-disk0$' "$TMP/rw.out" "serial"
expect_grep '^blk: write/read ok sector 8191 count 1$' "$TMP/rw.out" "last sector"
expect_grep '^blk: write/read ok sector 2048 count 8$' "$TMP/rw.out" "multi-sector"
expect_grep '^blk: flush ok$' "$TMP/rw.out" "flush"
expect_grep '^blk: pass$' "$TMP/rw.out" "pass"
expect_eq "$(blk_first_sum "$TMP/rw.out")" "$(fnv_sector 0)" "first read of a fresh image (zeroes)"
ok "rw on raw"
io_pattern raw "$img" 'read -P 0xa2 512 512' 'read -P 0 4096 512'
check_pattern "$img" 8192 7
ok "qemu-io and the pattern check see the guest's data"
blk_config "$TMP/v.ini" "$img" raw "mode=verify seed=7"
blk_run "$TMP/v.ini" "$TMP/v.out" 0
expect_grep '^blk: read ok sector 4096 count 1$' "$TMP/v.out" "verify mid"
[ "$(blk_first_sum "$TMP/v.out")" != "$(fnv_sector 0)" ] || fail "verify run read zeroes at sector 0"
ok "data persisted to a second run"
blk_config "$TMP/bad.ini" "$img" raw "mode=verify seed=8"
blk_run "$TMP/bad.ini" "$TMP/bad.out" 1
expect_grep '^blk: FAIL data mismatch$' "$TMP/bad.out" "wrong seed must fail"
ok "verify with another seed fails"
