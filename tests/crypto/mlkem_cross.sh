#!/bin/sh
# mlkem_cross.sh NOBLE_SH NOBLE_DIR MLKEM_VECTORS MLKEM_CROSS_MJS — the ML-KEM cross-check:
# installs @noble/post-quantum through noble.sh (its exit 77, "skipped", is passed on), then
# feeds the C driver's cases for each parameter set to the node script, which compares every
# byte. The case counts are fixed and the driver's generator seeded: every run is the same.
noble_sh=$1 noble_dir=$2 vectors=$3 script=$4
dir=$(sh "$noble_sh" "$noble_dir")
rc=$?
[ "$rc" = 0 ] || exit "$rc"
tmp=$(mktemp "${TMPDIR:-/tmp}/mlkem-cross-XXXXXX") || exit 2
trap 'rm -f "$tmp"' EXIT
for k in 2 3 4; do
  # the driver first, to a file: its own failure must not hide behind a pipe
  "$vectors" "$k" 300 203 >"$tmp" || { echo "mlkem_cross.sh: mlkem_vectors $k failed" >&2; exit 1; }
  node "$script" "$dir" <"$tmp" || {
    echo "mlkem_cross.sh: ML-KEM k=$k differs from @noble/post-quantum" >&2
    exit 1
  }
done
