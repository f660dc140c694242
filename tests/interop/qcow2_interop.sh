#!/bin/bash
# qcow2 interoperability with qemu-img/qemu-io: images qemu makes read back
# identically through vmdeck's storage library; images vmdeck writes pass
# `qemu-img check` and compare equal to the expected content.
. "$(dirname "$0")/../lib.sh"
command -v qemu-img >/dev/null && command -v qemu-io >/dev/null || { echo "SKIP: qemu-img/qemu-io missing"; exit 77; }
TOOLS=$VMDECK_BUILD_DIR/tests/tools
IMG=$TOOLS/storage_img
IO=$TOOLS/storage_io
[ -x "$IMG" ] && [ -x "$IO" ] || fail "storage tools not built ($TOOLS)"
# Prefer the real `vmdeck img` once the main binary has it.
if [ -x "$VMDECK" ] && "$VMDECK" img --help >/dev/null 2>&1; then IMG_CMD=("$VMDECK" img); else IMG_CMD=("$IMG"); fi
cd "$TMP"

qcheck() { # FILE: qemu-img check must be clean
  qemu-img check "$1" >check.out 2>&1 || { cat check.out; fail "qemu-img check $1 (rc $?)"; }
}
same() { # A B WHAT: byte-identical
  cmp -s "$1" "$2" || fail "$3: $1 and $2 differ"
}

# 1. qemu-made images, several cluster sizes, read back through vmdeck
for cs in 512 65536 2M; do
  qemu-img create -q -f qcow2 -o cluster_size=$cs q.qcow2 16M
  qemu-io -c "write -P 0xab 0 1M" -c "write -P 0xcd 3000000 100000" -c "write -P 0x11 15M 1M" \
          -c "write -z 100k 64k" q.qcow2 >/dev/null
  "${IMG_CMD[@]}" convert -f qcow2 -O raw q.qcow2 ours.raw || fail "convert cs=$cs"
  qemu-img convert -f qcow2 -O raw q.qcow2 ref.raw
  same ours.raw ref.raw "qemu image cs=$cs"
  "$IO" q.qcow2 "read -P 0xab 0 100k" "read -P 0 100k 64k" "read -P 0xcd 3000000 100000" -r \
    || fail "storage_io verify cs=$cs"
  ok "qemu-created image, cluster size $cs, reads back identically"
done

# 2. backing chain made by qemu: base <- overlay, partial writes in the overlay
qemu-img create -q -f qcow2 base.qcow2 8M
qemu-io -c "write -P 0x22 0 8M" base.qcow2 >/dev/null
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-io -c "write -P 0x33 4096 512" -c "write -P 0x44 1M 70000" top.qcow2 >/dev/null
"${IMG_CMD[@]}" convert -O raw top.qcow2 ours.raw || fail "convert overlay"
qemu-img convert -O raw top.qcow2 ref.raw
same ours.raw ref.raw "qemu overlay"
ok "qemu-created overlay on qcow2 base reads back identically"
# raw base, qemu overlay
qemu-img create -q -f raw rbase.raw 4M
qemu-io -f raw -c "write -P 0x55 0 4M" rbase.raw >/dev/null
qemu-img create -q -f qcow2 -b rbase.raw -F raw rtop.qcow2 6M
qemu-io -c "write -P 0x66 2M 3M" rtop.qcow2 >/dev/null
"${IMG_CMD[@]}" convert -O raw rtop.qcow2 ours.raw || fail "convert raw-backed overlay"
qemu-img convert -O raw rtop.qcow2 ref.raw
same ours.raw ref.raw "qemu overlay on raw base (smaller backing)"
ok "overlay on a smaller raw base reads back identically"

# 3. compressed clusters (deflate and zstd)
head -c 3M /dev/urandom > rnd.bin
{ head -c 2M rnd.bin; yes vmdeck | head -c 3M; } > src.raw
for ct in zlib zstd; do
  qemu-img convert -q -c -f raw -O qcow2 -o compression_type=$ct src.raw comp.qcow2
  "${IMG_CMD[@]}" convert -O raw comp.qcow2 ours.raw || fail "convert compressed $ct"
  same ours.raw src.raw "compressed ($ct)"
  ok "compressed clusters ($ct) read back"
done
# overwriting compressed clusters (partial) then qemu-img check
qemu-img convert -q -c -f raw -O qcow2 src.raw comp.qcow2
"$IO" comp.qcow2 "write -P 0x77 100000 5000" "write -P 0x78 3M 64k" || fail "write into compressed"
qcheck comp.qcow2
cp src.raw exp.raw
qemu-io -f raw -c "write -P 0x77 100000 5000" -c "write -P 0x78 3M 64k" exp.raw >/dev/null
qemu-img compare -q -f qcow2 -F raw comp.qcow2 exp.raw || fail "compare after overwriting compressed"
ok "overwriting compressed clusters: check clean, content right"

# 4. images written by vmdeck pass qemu-img check and compare
for cs in 512 4096 65536 2M; do
  rm -f v.qcow2
  "${IMG_CMD[@]}" create -f qcow2 -o cluster_size=$cs v.qcow2 20M >/dev/null || fail "create cs=$cs"
  qcheck v.qcow2
  ops=("write -P 0xab 0 1M" "write -P 0xcd 3000000 100000" "write -P 0xef 19M 1M"
       "write -P 0x12 5M 4M" "zero 6M 1M" "discard 8M 2M" "write -P 0x13 7M 300")
  "$IO" v.qcow2 "${ops[@]}" || fail "vmdeck writes cs=$cs"
  qcheck v.qcow2
  rm -f exp.raw; qemu-img create -q -f raw exp.raw 20M
  qemu-io -f raw -c "write -P 0xab 0 1M" -c "write -P 0xcd 3000000 100000" -c "write -P 0xef 19M 1M" \
    -c "write -P 0x12 5M 4M" -c "write -z 6M 1M" -c "write -z 8M 2M" -c "write -P 0x13 7M 300" exp.raw >/dev/null
  qemu-img compare -q -f qcow2 -F raw v.qcow2 exp.raw || fail "compare vmdeck image cs=$cs"
  ok "vmdeck-written image cs=$cs: qemu-img check clean, compare equal"
done

# 5. vmdeck overlay on a qemu-made base checks clean; COW of partial clusters
qemu-img create -q -f qcow2 qbase.qcow2 16M
qemu-io -c "write -P 0x21 0 16M" qbase.qcow2 >/dev/null
"${IMG_CMD[@]}" create -f qcow2 -b qbase.qcow2 -F qcow2 ov.qcow2 >/dev/null || fail "create overlay"
"$IO" ov.qcow2 "write -P 0x31 1000 3000" "write -P 0x32 2M 64k" "zero 4M 128k" || fail "overlay writes"
qcheck ov.qcow2
qemu-img convert -O raw qbase.qcow2 exp.raw
qemu-io -f raw -c "write -P 0x31 1000 3000" -c "write -P 0x32 2M 64k" -c "write -z 4M 128k" exp.raw >/dev/null
qemu-img compare -q -F raw ov.qcow2 exp.raw || fail "overlay content"
qemu-img info ov.qcow2 | grep -q "backing file format: qcow2" || fail "overlay backing format"
ok "vmdeck overlay on qemu base: check clean, COW correct"

# 6. commit the overlay into its base, rebase -u, info --json
"${IMG_CMD[@]}" commit ov.qcow2 >/dev/null || fail "commit"
qcheck qbase.qcow2
qemu-img compare -q -F raw qbase.qcow2 exp.raw || fail "base after commit"
ok "commit wrote the overlay's data into the base"
qemu-img convert -O raw qbase.qcow2 base2.raw
"${IMG_CMD[@]}" rebase -u -b base2.raw -F raw ov.qcow2 || fail "rebase -u"
qcheck ov.qcow2
qemu-img info ov.qcow2 | grep -q "backing file: base2.raw" || fail "rebase name"
qemu-img compare -q -F raw ov.qcow2 exp.raw || fail "content after rebase"
"${IMG_CMD[@]}" info --json ov.qcow2 > info.json || fail "info --json"
python3 -c 'import json,sys; d=json.load(open("info.json")); assert d[0]["format"]=="qcow2" and d[1]["format"]=="raw", d' \
  || fail "info --json output"
ok "rebase -u and info --json"

# 7. check: leaks are exit 3 for both tools, corruption exit 2
"${IMG_CMD[@]}" check ov.qcow2 >/dev/null || fail "our check on a clean image"
python3 - ov.qcow2 <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b"); h = f.read(104)
rt = struct.unpack(">Q", h[48:56])[0]
f.seek(rt); rb = struct.unpack(">Q", f.read(8))[0]
# bump the refcount of the header cluster: 1 -> 2 (a leak, not corruption)
f.seek(rb); f.write(struct.pack(">H", 2))
PY
"${IMG_CMD[@]}" check ov.qcow2 >our.out; rc=$?; expect_eq $rc 3 "our check exit on a leak"
qemu-img check ov.qcow2 >/dev/null 2>&1; expect_eq $? 3 "qemu-img check exit on a leak"
"${IMG_CMD[@]}" check -r leaks ov.qcow2 >/dev/null || fail "repair leaks"
qcheck ov.qcow2
python3 - ov.qcow2 <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b"); h = f.read(104)
rt = struct.unpack(">Q", h[48:56])[0]
f.seek(rt); rb = struct.unpack(">Q", f.read(8))[0]
f.seek(rb); f.write(struct.pack(">H", 0))   # header cluster refcount 0: corruption
PY
"${IMG_CMD[@]}" check ov.qcow2 >our.out; rc=$?; expect_eq $rc 2 "our check exit on corruption"
ok "check exit codes: leaks 3, corruption 2, -r leaks repairs"
echo "all interop checks passed"
