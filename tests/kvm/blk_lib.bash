# Helpers for the blk_*.sh tests (sourced; not a test itself).
. "$(dirname "$0")/../lib.sh"
need_kvm
command -v qemu-img >/dev/null || { echo "SKIP: qemu-img not installed"; exit 77; }
command -v qemu-io >/dev/null || { echo "SKIP: qemu-io not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
[ -f "$GUESTS/blk.elf" ] || fail "$GUESTS/blk.elf missing (build the 'guests' target)"

# blk_config INI IMAGE FORMAT CMDLINE [readonly]
blk_config() {
  cat >"$1" <<EOT
[vm]
name = blktest
cpus = 1
memory = 64M
kernel = $GUESTS/blk.elf
cmdline = $4

[disk.0]
path = $2
format = $3
readonly = ${5:-false}
EOT
}

# blk_run INI OUT WANT_STATUS: run the guest, check the exit status.
blk_run() {
  local st=0
  timeout 120 "$VMDECK" run "$1" --timeout 60 >"$2" 2>"$2.err" </dev/null || st=$?
  if [ "$st" != "$3" ]; then
    echo "--- stdout:"; cat "$2"; echo "--- stderr:"; cat "$2.err"
    fail "$1: exit status $st, expected $3"
  fi
}

# blk_first_sum OUT: the "first read checksum" the guest printed.
blk_first_sum() { sed -n 's/^blk: first read checksum \(0x[0-9a-f]*\)$/\1/p' "$1"; }

# fnv_sector BYTE: FNV-1a 64 of a 512-byte sector of BYTE (as the guest sums).
fnv_sector() {
  python3 -c "
h=0xcbf29ce484222325
for _ in range(512):
    h^=$1; h=(h*0x100000001b3)&0xffffffffffffffff
print(hex(h))"
}

# check_pattern RAWFILE SECTORS SEED: the guest's word pattern is at sector
# 0, mid, last and the 8 at a quarter; sector 1 is the byte 0xA5^seed.
check_pattern() {
  python3 - "$1" "$2" "$3" <<'EOT' || fail "pattern check in $1"
import struct, sys
path, cap, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
M = (1 << 64) - 1
f = open(path, 'rb')
def sector(s):
    f.seek(s * 512); return f.read(512)
secs = [0, cap // 2, cap - 1] + [cap // 4 + k for k in range(8)]
for s in secs:
    want = b''.join(struct.pack('<Q', (((s + 1) * 0x9E3779B97F4A7C15) & M) ^ w ^ ((seed * 0x100000001B3) & M)) for w in range(64))
    if sector(s) != want:
        print("sector %d differs" % s); sys.exit(1)
if sector(1) != bytes([0xA5 ^ (seed & 0xff)]) * 512:
    print("sector 1 differs"); sys.exit(1)
print("pattern ok in %d sectors + sector 1" % len(secs))
EOT
}

# io_pattern FMT IMG QEMU-IO-COMMAND...: every command succeeds and no
# pattern check fails (qemu-io prints "read ..." even after a mismatch).
io_pattern() {
  local fmt=$1 img=$2 args=(); shift 2
  for c in "$@"; do args+=(-c "$c"); done
  qemu-io -f "$fmt" "${args[@]}" "$img" >"$TMP/io.out" 2>&1 || { cat "$TMP/io.out"; fail "qemu-io $*"; }
  if grep -q 'Pattern verification failed\|error' "$TMP/io.out"; then cat "$TMP/io.out"; fail "qemu-io on $img: $*"; fi
}

# qcow2_clean IMG: qemu-img check reports no errors and no leaks.
qcow2_clean() {
  qemu-img check "$1" >"$TMP/check.out" 2>&1 || { cat "$TMP/check.out"; fail "qemu-img check $1"; }
  grep -q "No errors were found" "$TMP/check.out" || { cat "$TMP/check.out"; fail "qemu-img check $1 not clean"; }
  if grep -qi "leak" "$TMP/check.out"; then cat "$TMP/check.out"; fail "qemu-img check $1: leaks"; fi
}
