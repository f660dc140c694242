# Shared helpers for scripted tests. Source it: . "$(dirname "$0")/../lib.sh"
set -u
: "${VMDECK:?VMDECK not set (run through ctest)}"
TMP=$(mktemp -d /tmp/vmdeck-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# need_kvm: skip (77) without /dev/kvm, or fail when VMDECK_REQUIRE_KVM=1.
need_kvm() {
  if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    if [ "${VMDECK_REQUIRE_KVM:-0}" = 1 ]; then fail "/dev/kvm unusable but VMDECK_REQUIRE_KVM=1"; fi
    echo "SKIP: /dev/kvm not available"; exit 77
  fi
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }
# expect_grep PATTERN FILE WHAT
expect_grep() { grep -q -- "$1" "$2" || { echo "--- $2:"; head -c 4000 "$2"; fail "$3: '$1' not found"; }; }
