#!/bin/sh
# jwt_mldsa_cross.sh NOBLE_SH NOBLE_DIR TOOL LEVEL COUNT — ML-DSA-signed JWTs of the server
# (src/server/jwt_mldsa.c) against @noble/post-quantum, both ways (docs/authentication.md):
#   1. TOOL issue makes a key pair with the server's loader (DIR/jwt-mldsaLEVEL.key/.pub) and
#      COUNT tokens with the server's encoder;
#   2. jwt_mldsa_cross.mjs checks, with noble and the .pub file alone, each token's header,
#      claims and signature (empty context), that tampered tokens and other contexts fail, and
#      that noble's key from the .key seed is the .pub; it prints tokens that noble signs with
#      that key (and some it breaks on purpose), each with the verdict it expects;
#   3. TOOL verify checks those with the server's verifier: every verdict must agree.
# Exit 77 (skipped) when node/npm/the registry is unavailable (failure under CI=true).
noble_sh=$1 noble_dir=$2 tool=$3 level=$4 count=$5
dir=$(sh "$noble_sh" "$noble_dir") || exit $?
here=$(dirname "$0")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jwt-mldsa-XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
"$tool" issue "$tmp/data" "$level" "$count" >"$tmp/c.tok" || { echo "jwt_mldsa_tool issue failed"; exit 1; }
node "$here/jwt_mldsa_cross.mjs" "$dir" "$tmp/data" "$level" <"$tmp/c.tok" >"$tmp/n.tok" || {
  cat "$tmp/n.tok"; exit 1; }
"$tool" verify "$tmp/data" "$level" <"$tmp/n.tok"
