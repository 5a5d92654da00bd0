#!/bin/sh
# noble.sh DIR — make the independent FIPS 203/204 implementation @noble/post-quantum (npm
# registry; test-only, never used by the product) available under DIR/node_modules, and print
# DIR. The version is pinned so that results do not move under us. Installed once per build
# directory; later calls reuse it.
#
# Exit 0 when it is there; 77 (ctest's "skipped", see SKIP_RETURN_CODE) when node or npm is
# missing or the registry cannot be reached, saying so on stderr — except under CI=true, where
# a missing oracle is a failure (exit 1), so that CI never passes without the cross-check.
NOBLE_VERSION=0.7.1
dir=$1
[ -n "$dir" ] || { echo "usage: noble.sh DIR" >&2; exit 2; }
unavailable() {
  echo "noble.sh: $1" >&2
  if [ "$CI" = "true" ]; then exit 1; fi
  echo "noble.sh: skipping the cross-implementation check" >&2
  exit 77
}
command -v node >/dev/null 2>&1 || unavailable "node is not installed (apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || unavailable "npm is not installed (apt-get install npm)"
pkg="$dir/node_modules/@noble/post-quantum/package.json"
if [ -f "$pkg" ] && grep -q "\"version\": \"$NOBLE_VERSION\"" "$pkg"; then
  echo "$dir"; exit 0
fi
mkdir -p "$dir" || exit 2
# one installer at a time when ctest runs the cross tests side by side
(
  flock 9
  if [ -f "$pkg" ] && grep -q "\"version\": \"$NOBLE_VERSION\"" "$pkg"; then exit 0; fi
  [ -f "$dir/package.json" ] || echo '{"name": "nq-crypto-oracle", "private": true, "type": "module"}' > "$dir/package.json"
  timeout 300 npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
    "@noble/post-quantum@$NOBLE_VERSION" >"$dir/npm.log" 2>&1
) 9>"$dir/.lock"
[ -f "$pkg" ] || unavailable "npm install @noble/post-quantum@$NOBLE_VERSION failed: $(tail -3 "$dir/npm.log" 2>/dev/null)"
echo "$dir"
