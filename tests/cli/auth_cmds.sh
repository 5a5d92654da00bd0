#!/bin/sh
# auth_cmds.sh NQDB... — the credential commands end to end, each in a fresh temporary
# directory: `nqdb init` (default data directory, file modes, refused a second time, --output
# in the upstream format, allowed again once the admin key is revoked), `nqdb key
# create|list|revoke` (ids only in lists, bad permissions, revocation by id and by key),
# `nqdb user create|list|passwd|delete` with --password-stdin (Argon2id in auth.db, never the
# password), `nqdb generate-jwt-secret`, a data directory held by another process, and bad
# usage (exit status 2, message on stderr). No key or password is ever found in the data files.
# The arguments are the command that runs nqdb (with an emulator in front for cross builds).
set -u
. "$(dirname "$0")/lib.sh"
cli_setup auth
NQ="$*"

mode_of() { stat -c %a "$1" 2>/dev/null; }
expect_mode() { [ "$(mode_of "$2")" = "$3" ] && ok "$1" || bad "$1" "$2 has mode $(mode_of "$2"), expected $3"; }
# absent NAME TEXT FILES...: TEXT occurs in none of FILES
absent() {
  name=$1 text=$2; shift 2
  if grep -q -a -F -- "$text" "$@" 2>/dev/null; then bad "$name" "\"$text\" found in data files"; else ok "$name"; fi
}

for c in init generate-jwt-secret "key create" "key list" "user create" "user list"; do
  run $NQ $c --help
  expect_rc "help: $c" 0
  expect_out "help text: $c" "usage: nqdb"
done
run $NQ help
expect_out "nqdb help lists init" "init \[--data DIR\]"

# ---- init in a fresh directory, no flags ----
mkdir "$T/w" && cd "$T/w" || exit 2
run $NQ init
expect_rc "init" 0
KEY=$(grep -o 'nqdb_[0-9a-f]\{32\}' "$T/out" | head -n 1)
[ -n "$KEY" ] && ok "init prints the key" || bad "init prints the key" "$(cat "$T/out")"
expect_out "init names the key" "name: *admin"
expect_out "init lists the permissions" "admin, neuromorphic, quantum, dna, read, write"
expect_out "init tells how to use it" 'curl -H "X-API-Key: $NEUROQUANTUM_API_KEY" http://127.0.0.1:8080/api/v1/'
D=neuroquantum_data
expect_mode "data directory mode" $D 700
expect_mode "auth.key mode" $D/auth.key 600
expect_mode "jwt.secret mode" $D/jwt.secret 600
[ "$(stat -c %s $D/auth.key)" = 32 ] && ok "auth.key size" || bad "auth.key size" "$(stat -c %s $D/auth.key)"
run $NQ init --yes
expect_rc "second init refused" 2
expect_err "second init says why" "an admin key exists already"
expect_err "second init says what to do" "nqdb key create"
absent "no plaintext key in the data directory" "$KEY" $D/*
absent "no key digits in the data directory" "${KEY#nqdb_}" $D/*

# ---- keys ----
run $NQ key create --name dev --permissions read,write,quantum --rate-limit 50 --expiry-hours 48
expect_rc "key create" 0
DEV=$(grep -o 'nqdb_[0-9a-f]\{32\}' "$T/out" | head -n 1)
DEVID=$(printf %s "$DEV" | cut -c6-13)
expect_out "key create shows the id" "id: *$DEVID"
expect_out "key create shows the rate limit" "50 requests/hour"
run $NQ key list
expect_rc "key list" 0
expect_out "key list shows dev" "$DEVID  dev"
expect_out "key list shows admin" "admin,neuromorphic,quantum,dna,read,write"
if grep -q "$DEV\|$KEY" "$T/out"; then bad "key list hides keys" "a key is printed"; else ok "key list hides keys"; fi
run $NQ key list --format json
expect_rc "key list json" 0
if command -v jq >/dev/null 2>&1; then
  [ "$(jq -r 'length' "$T/out")" = 2 ] && ok "json: two keys" || bad "json: two keys" "$(cat "$T/out")"
  [ "$(jq -r '.[] | select(.name=="dev") | .permissions | join(",")' "$T/out")" = "quantum,read,write" ] \
    && ok "json: permissions" || bad "json: permissions" "$(cat "$T/out")"
  [ "$(jq -r '.[] | select(.name=="dev") | .rate_limit_per_hour' "$T/out")" = 50 ] \
    && ok "json: rate limit" || bad "json: rate limit" "$(cat "$T/out")"
fi
run $NQ key create --name x --permissions read,bogus
expect_rc "key create bad permission" 2
expect_err "bad permission message" "Invalid permission: bogus"
run $NQ key create --permissions read
expect_rc "key create without name" 2
run $NQ key create --name x --expiry-hours soon
expect_rc "key create bad hours" 2
run $NQ key revoke "$DEVID"
expect_rc "key revoke by id" 0
run $NQ key revoke "$DEVID"
expect_rc "key revoke twice" 2
expect_err "revoke twice message" "API key not found"
run $NQ key list
expect_out "revoked key listed as revoked" "$DEVID  dev .*revoked"
run $NQ key revoke nqdb_00000000000000000000000000000000
expect_rc "revoke unknown key" 2
run $NQ key revoke
expect_rc "revoke without argument" 2
run $NQ key frobnicate
expect_rc "key unknown verb" 2

# ---- init --output, elsewhere; allowed again once the admin key is revoked ----
run $NQ init --data "$T/d2" --name root --expiry-hours 24 --output "$T/key.env"
expect_rc "init --output" 0
expect_mode "key file mode" "$T/key.env" 600
grep -q '^NEUROQUANTUM_API_KEY=nqdb_[0-9a-f]\{32\}$' "$T/key.env" && ok "key file format" || bad "key file format" "$(cat "$T/key.env")"
grep -q '^# Name: root$' "$T/key.env" && ok "key file comments" || bad "key file comments" "$(cat "$T/key.env")"
ROOT=$(sed -n 's/^NEUROQUANTUM_API_KEY=//p' "$T/key.env")
if grep -q "$ROOT" "$T/out"; then bad "init --output does not print the key" "printed"; else ok "init --output does not print the key"; fi
run $NQ key revoke "$ROOT" --data "$T/d2"
expect_rc "revoke the admin key by key" 0
run $NQ init --data "$T/d2"
expect_rc "init again after the admin key was revoked" 0

# ---- users ----
printf 'correct horse battery\n' >"$T/pw"
run sh -c "$NQ user create alice@example.com --permissions read --password-stdin <'$T/pw'"
expect_rc "user create" 0
run sh -c "$NQ user create alice@example.com --password-stdin <'$T/pw'"
expect_rc "user create twice" 2
expect_err "user exists message" "exists already"
run sh -c "$NQ user create bob </dev/null"
expect_rc "user create without a terminal or --password-stdin" 2
expect_err "says to use --password-stdin" "password-stdin"
run sh -c "printf 'short\n' | $NQ user create bob --password-stdin"
expect_rc "short password" 2
run sh -c "printf 'long enough\n' | $NQ user create 'has space' --password-stdin"
expect_rc "bad user name" 2
run $NQ user list
expect_out "user list" "alice@example.com *read"
run $NQ user list --format json
expect_out "user list json" '"name": "alice@example.com"'
run sh -c "printf 'a new password\n' | $NQ user passwd alice@example.com --password-stdin"
expect_rc "user passwd" 0
run sh -c "printf 'a new password\n' | $NQ user passwd nobody --password-stdin"
expect_rc "passwd of an unknown user" 2
absent "no password in the data directory" "correct horse battery" $D/*
absent "no new password in the data directory" "a new password" $D/*
run $NQ sql $D/auth.db "SELECT password FROM users"
expect_out "Argon2id hash stored" '\$argon2id\$v=19\$m=19456,t=2,p=1\$'
run $NQ user delete alice@example.com
expect_rc "user delete" 0
run $NQ user delete alice@example.com
expect_rc "user delete twice" 2
run $NQ user
expect_rc "user without verb" 2

# ---- a data directory in use by another process ----
mkfifo "$T/fifo"
alive() { kill -0 "$1" 2>/dev/null && ! grep -q ') Z' "/proc/$1/stat" 2>/dev/null; } # not a zombie
holder=
i=0
# `nqdb shell` on auth.db holds its lock while it waits for input on the fifo. Our probe may
# take the lock first and make the holder give up: then start it again.
while [ $i -lt 200 ]; do
  if [ -z "$holder" ] || ! alive "$holder"; then
    if [ -n "$holder" ]; then exec 3>&-; wait "$holder"; fi
    $NQ shell $D/auth.db <"$T/fifo" >/dev/null 2>&1 &
    holder=$!
    exec 3>"$T/fifo"
    sleep 0.05
  fi
  run $NQ key list
  [ "$rc" != 0 ] && break
  i=$((i + 1))
done
expect_rc "key list while another process holds the directory" 2
expect_err "says a server is running" "is in use by a running server (nqdb serve)"
exec 3>&-
wait $holder
run $NQ key list
expect_rc "key list after it let go" 0

# ---- upstream's short options ----
run $NQ init -n shorty -e 24 -o "$T/short.env" -y --data "$T/d6"
expect_rc "init -n -e -o -y" 0
grep -q '^# Name: shorty$' "$T/short.env" && ok "init -n" || bad "init -n" "$(cat "$T/short.env")"
run $NQ key create -n tiny -p read,dna -e 5 -r 7 --data "$T/d6"
expect_rc "key create -n -p -e -r" 0
expect_out "key create -p" "permissions: dna, read"
expect_out "key create -r" "7 requests/hour"
TINY=$(grep -o 'nqdb_[0-9a-f]\{32\}' "$T/out" | head -n 1)
run $NQ key revoke -k "$TINY" --data "$T/d6"
expect_rc "key revoke -k" 0
run $NQ key revoke -k "$TINY" extra --data "$T/d6"
expect_rc "key revoke -k with an extra argument" 2

# ---- the data directory from the environment ----
run env NEUROQUANTUM_DATA_PATH="$T/d3" $NQ init --name envkey
expect_rc "init with NEUROQUANTUM_DATA_PATH" 0
[ -f "$T/d3/auth.key" ] && ok "NEUROQUANTUM_DATA_PATH used" || bad "NEUROQUANTUM_DATA_PATH used" "no $T/d3/auth.key"

# ---- the data directory from a configuration file ----
printf '[database]\ndata_path = "%s"\n' "$T/d5" >"$T/nq.toml"
run $NQ init --config "$T/nq.toml" --name cfgkey
expect_rc "init --config" 0
[ -f "$T/d5/auth.key" ] && ok "database.data_path used" || bad "database.data_path used" "no $T/d5/auth.key"
run env NEUROQUANTUM_CONFIG="$T/nq.toml" $NQ key list
expect_out "NEUROQUANTUM_CONFIG used" "cfgkey"
printf '[database]\ndata_pth = "x"\n' >"$T/bad.toml"
run $NQ key list --config "$T/bad.toml"
expect_rc "a bad configuration is an error" 2
expect_err "names the file" "bad.toml"
run $NQ key list --config "$T/bad.toml" --data "$T/d5"
expect_rc "--data does not need the configuration" 0

# ---- generate-jwt-secret ----
run $NQ generate-jwt-secret
expect_rc "generate-jwt-secret" 0
[ "$(sed -n 1p "$T/out")" = "[jwt]" ] && ok "secret snippet section" || bad "secret snippet section" "$(cat "$T/out")"
sed -n 2p "$T/out" | grep -q '^secret = "[A-Za-z0-9+/]\{86\}==\"$' && ok "secret is 88 chars of base64" || bad "secret is 88 chars of base64" "$(cat "$T/out")"
first=$(sed -n 2p "$T/out")
run $NQ generate-jwt-secret
[ "$(sed -n 2p "$T/out")" != "$first" ] && ok "secrets differ" || bad "secrets differ" "same twice"
run $NQ generate-jwt-secret --output "$T/jwt.toml"
expect_rc "generate-jwt-secret --output" 0
expect_mode "secret file mode" "$T/jwt.toml" 600
grep -q '^secret = "' "$T/jwt.toml" && ok "secret file content" || bad "secret file content" "$(cat "$T/jwt.toml")"
run $NQ generate-jwt-secret --bogus
expect_rc "unknown option" 2
run $NQ init --expiry-hours 0 --data "$T/d4"
expect_rc "init --expiry-hours 0" 2

cli_finish
