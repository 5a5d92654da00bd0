#!/bin/sh
# encrypt.sh NQDB... — encryption at rest from the command line: `nqdb keygen`, databases
# created and opened with --key-file and --passphrase-env by sql, info, check, checkpoint, kv
# and backup; wrong, missing and unsafe keys refused with exit 2 and a message; `nqdb info`
# says whether a database is encrypted (never the key); `nqdb rekey` re-wraps between key
# files and passphrases and --reencrypt replaces the data key; no plaintext in any file; a
# backup of an encrypted database restores to one that opens with the key.
# The arguments are the command that runs nqdb (with an emulator in front for cross builds).
set -u
. "$(dirname "$0")/lib.sh"
cli_setup encrypt
NQ="$*"
# cheap Argon2id for new passphrase wraps (the defaults are t=3, 64 MiB)
NQDB_KDF_ITERATIONS=1 NQDB_KDF_MEMORY_KIB=64
export NQDB_KDF_ITERATIONS NQDB_KDF_MEMORY_KIB

DB=$T/sec.db K=$T/db.key
run $NQ keygen "$K"
expect_rc "keygen" 0
expect_out "keygen says mode 600" "mode 600"
run $NQ keygen "$K"
expect_rc "keygen never overwrites" 2
expect_err "keygen refusal says why" "never overwritten"

run $NQ sql --key-file "$K" "$DB" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX tv ON t(v); INSERT INTO t(v) VALUES ('SECRETROWVALUE1'), ('SECRETROWVALUE2')"
expect_rc "create encrypted with a key file" 0
run $NQ sql "$DB" "SELECT count(*) FROM t" --key-file "$K"
expect_rc "open with the key file (option after the arguments)" 0
expect_out "rows readable" "2"
run $NQ sql "$DB" "SELECT count(*) FROM t"
expect_rc "open without a key" 2
expect_err "no key: says it is encrypted" "encrypted"
run $NQ info --key-file "$K" "$DB"
expect_rc "info" 0
expect_out "info says encrypted" "encryption: *AES-256-GCM"
expect_out "info names the key file's fingerprint" "ML-KEM-768 key file"
grep -q "$(sed -n 's/^key //p' "$K" | cut -c1-64)" "$T/out" && bad "info leaks the key" "" || ok "info does not print the key"
run $NQ check --key-file "$K" "$DB"
expect_rc "check" 0
run $NQ checkpoint --key-file "$K" "$DB"
expect_rc "checkpoint" 0
run $NQ kv --key-file "$K" "$DB" put kvt SECRETKVKEY SECRETKVVALUE
expect_rc "kv put" 0
run $NQ kv --key-file "$K" "$DB" get kvt SECRETKVKEY
expect_out "kv get" "SECRETKVVALUE"

$NQ keygen "$T/other.key" >/dev/null
run $NQ sql --key-file "$T/other.key" "$DB" "SELECT 1"
expect_rc "another key file" 2
expect_err "another key file: wrong key" "wrong key"
run $NQ sql --key-file "$T/missing.key" "$DB" "SELECT 1"
expect_rc "missing key file" 2
expect_err "missing key file named" "missing.key"
chmod 644 "$K"
run $NQ sql --key-file "$K" "$DB" "SELECT 1"
expect_rc "key file readable by others" 2
expect_err "mode 644 refused" "readable by others"
chmod 600 "$K"
run $NQ sql --passphrase-env NQ_UNSET_VAR "$DB" "SELECT 1"
expect_rc "unset passphrase variable" 2
expect_err "unset variable named" "NQ_UNSET_VAR"
run $NQ sql --key-file "$K" --passphrase-env X "$DB" "SELECT 1"
expect_rc "two keys" 2

# nothing in clear in the files
if grep -q -a -e SECRETROWVALUE -e SECRETKVVALUE -e SECRETKVKEY -e "CREATE TABLE" "$DB" "$DB-wal" 2>/dev/null; then
    bad "no plaintext in the database" "a marker is in clear"
else
    ok "no plaintext in the database"
fi

# rotation: key file -> passphrase -> key file
PW1="first pass phrase" PW2="second pass phrase"
export PW1 PW2
run $NQ rekey "$DB" --key-file "$K" --new-passphrase-env PW1
expect_rc "rekey to a passphrase" 0
expect_out "rekey says passphrase" "passphrase (Argon2id t=1 m=64 KiB"
run $NQ sql --key-file "$K" "$DB" "SELECT 1"
expect_rc "old key file after rekey" 2
run $NQ sql --passphrase-env PW2 "$DB" "SELECT 1"
expect_rc "wrong passphrase" 2
expect_err "wrong passphrase says so" "wrong passphrase"
run $NQ sql --passphrase-env PW1 "$DB" "SELECT v FROM t WHERE id = 2"
expect_rc "new passphrase opens" 0
expect_out "data intact after rekey" "SECRETROWVALUE2"
run $NQ rekey "$DB" --passphrase-env PW1 --new-passphrase-env PW2 --reencrypt
expect_rc "rekey --reencrypt" 0
expect_out "reencrypt says so" "re-encrypted"
run $NQ sql --passphrase-env PW1 "$DB" "SELECT 1"
expect_rc "old passphrase after reencrypt" 2
run $NQ sql --passphrase-env PW2 "$DB" "SELECT count(*) FROM t"
expect_rc "new passphrase after reencrypt" 0
expect_out "rows after reencrypt" "2"
run $NQ rekey "$DB" --passphrase-env PW2
expect_rc "rekey without a new key" 2
run $NQ rekey "$DB" --new-key-file "$K"
expect_rc "rekey without the current key" 2
expect_err "rekey asks for the current key" "current key"

# backup and restore
run $NQ backup --passphrase-env PW2 "$DB" "$T/bk"
expect_rc "backup of an encrypted database" 0
if grep -r -q -a -e SECRETROWVALUE -e SECRETKVVALUE "$T/bk"; then
    bad "no plaintext in the backup" "a marker is in clear"
else
    ok "no plaintext in the backup"
fi
run $NQ restore "$T/bk/0001-full" "$T/restored.db"
expect_rc "restore needs no key" 0
run $NQ sql "$T/restored.db" "SELECT 1"
expect_rc "restored database needs its key" 2
run $NQ sql --passphrase-env PW2 "$T/restored.db" "SELECT v FROM t WHERE id = 1"
expect_rc "restored database opens with the key" 0
expect_out "restored rows" "SECRETROWVALUE1"

# a plain database refuses a key and says it is not encrypted
run $NQ sql "$T/plain.db" "CREATE TABLE p(x)"
run $NQ sql --key-file "$K" "$T/plain.db" "SELECT 1"
expect_rc "key for a plain database" 2
expect_err "plain database: not encrypted" "not encrypted"
run $NQ info "$T/plain.db"
expect_out "info of a plain database" "encryption: *none"
cli_finish
