#!/bin/sh
# mldsa_cross.sh NOBLE_SH NOBLE_DIR VECTORS LEVEL COUNT SIGNCOUNT SEED — the byte-exact cross-check of
# ML-DSA-LEVEL against @noble/post-quantum (docs/security.md): installs the oracle through
# noble.sh (exit 77 = skipped when node/npm/the registry is unavailable, failure under CI),
# runs the C driver (mldsa_vectors) for COUNT seeded key pairs, SIGNCOUNT of them signing, and lets mldsa_cross.mjs recompute
# and compare every key, signature and verdict.
noble_sh=$1 noble_dir=$2 vectors=$3 level=$4 count=$5 signcount=$6 seed=$7
dir=$(sh "$noble_sh" "$noble_dir") || exit $?
here=$(dirname "$0")
out=$(mktemp "${TMPDIR:-/tmp}/mldsa-cross-XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT
"$vectors" "$level" "$count" "$signcount" "$seed" >"$out" || { echo "mldsa_vectors failed"; exit 1; }
node "$here/mldsa_cross.mjs" "$dir" <"$out"
