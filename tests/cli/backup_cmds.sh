#!/bin/sh
# backup_cmds.sh NQDB... — `nqdb backup`, `nqdb verify`, `nqdb restore` end to end in a fresh
# temporary directory: a chain of full, incremental and differential backups in numbered
# subdirectories; verify and restore by the last backup alone (the chain is found) and by an
# explicit list; the restored database holds the data and passes `nqdb check`; an existing
# target refused without --force; a flipped byte, a missing file and a chain with a gap refused
# naming the file (exit 1); a zstd-compressed backup in the chain; point-in-time recovery: a database written with NQDB_ARCHIVE, its
# archive verified, restored --until a commit and --until a time, refused beyond the archive's
# end, before the backup, without an archive and with a damaged segment (naming it).
# backup keygen, signed and encrypted backups (verify and restore with and without keys, a
# removed or changed signature, a flipped byte in an encrypted file, the wrong keys, a secret
# key readable by others, no plaintext stored).
# The arguments are the command that runs nqdb (with an emulator in front for cross builds).
set -u
. "$(dirname "$0")/lib.sh"
cli_setup backup
NQ="$*"


DB=$T/app.db B=$T/bk
run $NQ sql "$DB" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('a'), ('b')"
expect_rc "create" 0
run $NQ backup "$DB" "$B" --incremental
expect_rc "incremental without a full backup" 2
expect_err "incremental without a full backup says so" "no full backup"
run $NQ backup "$DB" "$B"
expect_rc "full backup" 0
expect_out "full backup goes to 0001-full" "0001-full: full backup"
run $NQ sql "$DB" "INSERT INTO t(v) VALUES ('c')"
run $NQ backup "$DB" "$B" --incremental
expect_rc "incremental backup" 0
expect_out "incremental goes to 0002-incremental" "0002-incremental: incremental backup"
run $NQ sql "$DB" "UPDATE t SET v = 'x' WHERE id = 1"
run $NQ backup "$DB" "$B" --differential
expect_rc "differential backup" 0
run $NQ sql "$DB" "INSERT INTO t(v) VALUES ('d')"
run $NQ backup "$DB" "$B" --incremental
expect_rc "incremental on the differential" 0

run $NQ verify "$B/0004-incremental"
expect_rc "verify by the last backup" 0
expect_out "verify finds the chain full + differential + incremental" "ok: 3 backup(s) verified"
run $NQ restore "$B/0004-incremental" "$T/r.db"
expect_rc "restore by the last backup" 0
run $NQ sql "$T/r.db" "SELECT group_concat(v, ',') FROM (SELECT v FROM t ORDER BY id)" --format csv
expect_out "restored data" "x,b,c,d"
run $NQ check "$T/r.db"
expect_rc "restored database passes check" 0
run $NQ restore "$B/0001-full" "$B/0002-incremental" "$T/r2.db"
expect_rc "restore an explicit chain" 0
run $NQ sql "$T/r2.db" "SELECT group_concat(v, ',') FROM (SELECT v FROM t ORDER BY id)" --format csv
expect_out "restored data at the incremental" "a,b,c"

run $NQ restore "$B/0004-incremental" "$T/r.db"
expect_rc "existing target refused" 2
expect_err "existing target: says --force" "without --force"
run $NQ restore "$B/0002-incremental" "$T/r.db" --force
expect_rc "--force overwrites" 0
run $NQ sql "$T/r.db" "SELECT count(*) FROM t" --format csv
expect_out "forced restore is the older snapshot" "^3"

run $NQ restore "$B/0001-full" "$B/0003-differential" "$B/0002-incremental" "$T/r3.db"
expect_rc "a chain out of order refused" 1
expect_err "out of order: names the backup" "0002-incremental"
[ -e "$T/r3.db" ] && bad "refused restore leaves no target" "r3.db exists" || ok "refused restore leaves no target"
run $NQ verify "$B/0001-full" "$B/0004-incremental"
expect_rc "a chain with a gap refused" 1

cp "$B/0002-incremental/pages.dat" "$T/saved"
printf 'Z' | dd of="$B/0002-incremental/pages.dat" bs=1 seek=5000 conv=notrunc 2>/dev/null
run $NQ verify "$B/0002-incremental"
expect_rc "a flipped byte refused" 1
expect_err "flipped byte: names the file" "0002-incremental/pages.dat"
cp "$T/saved" "$B/0002-incremental/pages.dat"
mv "$B/0003-differential/MANIFEST" "$T/m"
run $NQ verify "$B/0003-differential"
expect_rc "a missing manifest refused" 1
expect_err "missing manifest: names it" "0003-differential/MANIFEST: missing"
mv "$T/m" "$B/0003-differential/MANIFEST"
run $NQ verify "$B/0004-incremental"
expect_rc "repaired chain verifies again" 0

run $NQ backup "$DB" "$B" --incremental --compress
expect_rc "compressed incremental" 0
expect_out "compressed incremental says zstd" "0005-incremental: incremental backup .*zstd"
[ -f "$B/0005-incremental/pages.dat.zst" ] && ok "compressed data file" || bad "compressed data file" "no pages.dat.zst"
run $NQ restore "$B/0005-incremental" "$T/r5.db"
expect_rc "restore through a compressed backup" 0
run $NQ sql "$T/r5.db" "SELECT group_concat(v, ',') FROM (SELECT v FROM t ORDER BY id)" --format csv
expect_out "restored data through zstd" "x,b,c,d"
run $NQ backup "$DB" "$B" --encrypt
expect_rc "--encrypt without a key file refused" 2
expect_err "--encrypt names the key it needs" "backup-kem.pub"
run $NQ restore "$B/0001-full" "$T/r4.db" --until 2026-01-01T00:00:00Z --archive "$T/no-archive"
expect_rc "--until before the backup refused" 1
expect_err "--until before the backup: says so" "older backup chain"
run $NQ restore "$B/0001-full" "$T/r4.db" --until 99999
expect_rc "--until without an archive refused" 1
expect_err "--until without an archive: names the default one" "bk/wal-archive: no such archive directory"
[ -e "$T/r4.db" ] && bad "refused PITR leaves no target" "r4.db exists" || ok "refused PITR leaves no target"
run $NQ restore "$B/0001-full" "$T/r4.db" --until yesterday
expect_rc "a bad --until refused" 2
run $NQ restore "$B/0001-full" "$T/r4.db" --archive "$T"
expect_rc "--archive without --until refused" 2
run $NQ backup "$T/missing.db" "$B"
expect_rc "a missing database" 2
run $NQ backup
expect_rc "bad usage" 2

# list and prune (chain directories)
run $NQ backup list "$B"
expect_rc "list" 0
expect_out "list shows the full backup" "0001-full  *full"
expect_out "list shows the compressed incremental" "0005-incremental .*(zstd)"
run $NQ backup list "$B" --json
expect_rc "list --json" 0
expect_out "list --json has the kind" '"name": "0003-differential", "kind": "differential"'
run $NQ backup "$DB" "$B" --full
expect_rc "a second full backup" 0
expect_out "numbered after the others" "0006-full: full backup"
run $NQ backup "$DB" "$B" --incremental
expect_rc "an incremental on the second full" 0
mkdir "$B/0002-junk"
run $NQ backup prune "$B" --keep-full 0
expect_rc "prune --keep-full 0 refused" 2
run $NQ backup prune "$B"
expect_rc "prune without --keep-full refused" 2
run $NQ backup prune "$B" --keep-full 2
expect_rc "prune keeping 2 full backups: nothing older to remove" 0
expect_out "prune removed nothing" "removed 0 backup"
run $NQ backup prune "$B" --keep-full 1
expect_rc "prune keeping 1 full backup" 0
expect_out "prune removed the first chain" "removed 5 backup"
[ -d "$B/0001-full" ] && bad "old chain removed" "0001-full still there" || ok "old chain removed"
[ -d "$B/0002-junk" ] && ok "a directory that is not a backup is left alone" || bad "junk kept" "0002-junk removed"
ls -a "$B" | grep -q pruned && bad "no leftovers" "$(ls -a "$B")" || ok "no leftovers"
run $NQ verify "$B/0007-incremental"
expect_rc "the kept chain verifies" 0
run $NQ restore "$B/0007-incremental" "$T/r7.db"
expect_rc "the kept chain restores" 0
run $NQ backup list "$T/nothing-here"
expect_rc "list of a missing directory" 2

# point-in-time recovery: NQDB_ARCHIVE makes every command that writes a database archive its
# log (into the chain directory's wal-archive, the default of restore --until)
P=$T/p.db PB=$T/pbk
export NQDB_ARCHIVE="$PB/wal-archive"
run $NQ sql "$P" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('a')"
expect_rc "archived database: create" 0
run $NQ backup "$P" "$PB"
expect_rc "archived database: full backup" 0
BSEQ=$(sed -n 's/.*commit \([0-9]*\)$/\1/p' "$T/out")
for v in b c d; do run $NQ sql "$P" "INSERT INTO t(v) VALUES ('$v')"; done
run $NQ sql "$P" "DELETE FROM t WHERE v = 'a'"
unset NQDB_ARCHIVE
run $NQ verify --archive "$PB/wal-archive"
expect_rc "verify --archive" 0
expect_out "verify --archive says what it checked" "ok: archive .* verified"
LAST=$(sed -n 's/.*commits [0-9]* ([^)]*) \.\. \([0-9]*\) .*/\1/p' "$T/out")
[ -n "$BSEQ" ] && [ -n "$LAST" ] && ok "backup at commit $BSEQ, archive to $LAST" || bad "sequence numbers" "backup '$BSEQ', archive end '$LAST'"
run $NQ restore "$PB/0001-full" "$T/p0.db" --until "$BSEQ"
expect_rc "--until the backup's own commit" 0
run $NQ sql "$T/p0.db" "SELECT group_concat(v, ',') FROM (SELECT v FROM t ORDER BY id)" --format csv
expect_out "at the backup" "^a.\{0,1\}$"
run $NQ restore "$PB/0001-full" "$T/p1.db" --until $((BSEQ + 2))
expect_rc "--until two commits after the backup" 0
expect_out "restore says how many transactions it applied" "and 2 archived transaction(s)"
run $NQ sql "$T/p1.db" "SELECT group_concat(v, ',') FROM (SELECT v FROM t ORDER BY id)" --format csv
expect_out "two commits after the backup" "\"a,b,c\""
run $NQ check "$T/p1.db"
expect_rc "PITR result passes check" 0
run $NQ restore "$PB/0001-full" "$T/p2.db" --until "$LAST" --archive "$PB/wal-archive"
expect_rc "--until the archive's end" 0
run $NQ sql "$T/p2.db" "SELECT group_concat(v, ',') FROM (SELECT v FROM t ORDER BY id)" --format csv
expect_out "at the archive's end" "\"b,c,d\""
# the time of commit BSEQ + 1, from a restore's own report, used as --until TIME
run $NQ restore "$PB/0001-full" "$T/p3.db" --until $((BSEQ + 1))
TIME=$(sed -n 's/.*, commit [0-9]* (\(.*Z\))$/\1/p' "$T/out")
run $NQ restore "$PB/0001-full" "$T/p4.db" --until "$TIME"
expect_rc "--until TIME ($TIME)" 0
run $NQ sql "$T/p4.db" "SELECT group_concat(v, ',') FROM (SELECT v FROM t ORDER BY id)" --format csv
expect_out "at that time" "\"a,b\""
run $NQ restore "$PB/0001-full" "$T/p5.db" --until $((LAST + 1))
expect_rc "--until beyond the archive refused" 1
expect_err "beyond: says so and how to restore to the end" "beyond the archive's end.*--until $LAST"
SEG=$(ls "$PB/wal-archive" | tail -1)
cp "$PB/wal-archive/$SEG" "$T/saved-seg"
printf 'Z' | dd of="$PB/wal-archive/$SEG" bs=1 seek=200 conv=notrunc 2>/dev/null
run $NQ verify --archive "$PB/wal-archive"
expect_rc "a flipped byte in a segment: verify refuses" 1
expect_err "verify names the segment" "$SEG"
run $NQ restore "$PB/0001-full" "$T/p6.db" --until "$LAST"
expect_rc "a flipped byte in a segment: restore refuses" 1
expect_err "restore names the segment" "$SEG"
[ -e "$T/p6.db" ] && bad "refused PITR leaves no target" "p6.db exists" || ok "refused PITR leaves no target"
cp "$T/saved-seg" "$PB/wal-archive/$SEG"
run $NQ verify --archive "$PB/wal-archive"
expect_rc "the repaired archive verifies" 0
# pruning: a second full backup, then keeping one full backup drops the segments before it
export NQDB_ARCHIVE="$PB/wal-archive"
run $NQ backup "$P" "$PB"
expect_rc "second full backup of the archived database" 0
B2SEQ=$(sed -n 's/.*commit \([0-9]*\)$/\1/p' "$T/out")
run $NQ sql "$P" "INSERT INTO t(v) VALUES ('e')"
unset NQDB_ARCHIVE
run $NQ backup prune "$PB" --keep-full 1
expect_rc "prune with an archive" 0
expect_out "prune reports the archive" "wal-archive: removed [1-9][0-9]* segment(s) holding only commits up to $B2SEQ"
run $NQ verify --archive "$PB/wal-archive"
expect_rc "the pruned archive verifies" 0
run $NQ restore "$PB/0002-full" "$T/p7.db" --until $((B2SEQ + 1))
expect_rc "restore --until after pruning" 0
run $NQ sql "$T/p7.db" "SELECT group_concat(v, ',') FROM (SELECT v FROM t ORDER BY id)" --format csv
expect_out "after pruning: the commit after the kept backup" "\"b,c,d,e\""

# signed and encrypted backups (docs/backup.md "Keys", "Signed backups", "Encrypted backups")
K=$T/keys S=$T/sb SDB=$T/s.db
run $NQ backup keygen "$K"
expect_rc "backup keygen" 0
[ "$(stat -c %a "$K/backup-sign.key")" = 600 ] && ok "signing key mode 600" || bad "signing key mode" "$(stat -c %a "$K/backup-sign.key")"
[ "$(stat -c %a "$K/backup-kem.key")" = 600 ] && ok "kem key mode 600" || bad "kem key mode" "$(stat -c %a "$K/backup-kem.key")"
run $NQ backup keygen "$K"
expect_rc "keygen never overwrites" 2
expect_err "keygen names the existing file" "backup-sign.key: exists already"
run $NQ sql "$SDB" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('SECRET-PLAINTEXT-1'), ('SECRET-PLAINTEXT-2')"
run $NQ backup "$SDB" "$S" --sign "$K/backup-sign.key"
expect_rc "signed full backup" 0
expect_out "says signed" "0001-full: full backup .*, signed"
run $NQ sql "$SDB" "INSERT INTO t(v) VALUES ('SECRET-PLAINTEXT-3')"
run $NQ backup "$SDB" "$S" --incremental --compress --sign "$K/backup-sign.key" --encrypt "$K/backup-kem.pub"
expect_rc "signed, encrypted, compressed incremental" 0
expect_out "says encrypted" "0002-incremental: incremental backup .*zstd, encrypted to key"
[ -f "$S/0002-incremental/pages.dat.zst.enc" ] && ok "encrypted data file" || bad "encrypted data file" "$(ls "$S/0002-incremental")"
grep -rq SECRET-PLAINTEXT "$S/0002-incremental" && bad "no plaintext in the encrypted backup" "found" || ok "no plaintext in the encrypted backup"
run $NQ backup list "$S" --json
expect_out "list --json says encrypted and signed" '"encrypted": true, "signed": true'
run $NQ verify "$S/0002-incremental"
expect_rc "verify without keys" 0
expect_out "verify says the signature was not checked" "signature not checked"
expect_out "verify says the pages inside were not checked" "not checked (give --key)"
run $NQ verify "$S/0002-incremental" --pubkey "$K/backup-sign.pub" --key "$K/backup-kem.key"
expect_rc "verify with both keys" 0
expect_out "verify says the signatures were checked" "ML-DSA-65, checked"
run $NQ restore "$S/0002-incremental" "$T/s1.db"
expect_rc "restore of an encrypted backup without the key refused" 1
expect_err "says it needs the secret key" "needs its ML-KEM-768 secret key"
run $NQ restore "$S/0002-incremental" "$T/s1.db" --pubkey "$K/backup-sign.pub" --key "$K/backup-kem.key"
expect_rc "restore with both keys" 0
run $NQ sql "$T/s1.db" "SELECT count(*) FROM t" --format csv
expect_out "restored through the encrypted backup" "^3"
cp "$S/0002-incremental/MANIFEST.sig" "$T/sig"
rm "$S/0002-incremental/MANIFEST.sig"
run $NQ verify "$S/0002-incremental" --pubkey "$K/backup-sign.pub"
expect_rc "a removed signature refused" 1
expect_err "names the signature file" "0002-incremental/MANIFEST.sig: missing"
cp "$T/sig" "$S/0002-incremental/MANIFEST.sig"
sed -i 's/^signature 0/signature 1/; t; s/^signature ./signature 0/' "$S/0002-incremental/MANIFEST.sig"
run $NQ restore "$S/0002-incremental" "$T/s2.db" --pubkey "$K/backup-sign.pub" --key "$K/backup-kem.key"
expect_rc "a changed signature refused" 1
expect_err "names the signature file" "0002-incremental/MANIFEST.sig"
cp "$T/sig" "$S/0002-incremental/MANIFEST.sig"
b=$(od -An -tx1 -j40 -N1 "$S/0002-incremental/pages.dat.zst.enc" | tr -d ' ')
[ "$b" = 5a ] && c=Y || c=Z # always another byte
printf "$c" | dd of="$S/0002-incremental/pages.dat.zst.enc" bs=1 seek=40 conv=notrunc 2>/dev/null
run $NQ restore "$S/0002-incremental" "$T/s3.db" --key "$K/backup-kem.key"
expect_rc "a flipped byte in an encrypted file refused" 1
expect_err "names the data file" "0002-incremental/pages.dat.zst.enc"
[ -e "$T/s3.db" ] && bad "refused restore leaves no target" "s3.db exists" || ok "refused restore leaves no target"
run $NQ backup keygen "$T/keys2"
run $NQ restore "$S/0001-full" "$S/0002-incremental" "$T/s4.db" --key "$T/keys2/backup-kem.key"
expect_rc "the wrong secret key refused" 1
expect_err "says which key it needs" "encrypted to key"
run $NQ verify "$S/0001-full" --pubkey "$T/keys2/backup-sign.pub"
expect_rc "another signer's public key refused" 1
expect_err "says who signed" "signed by key"
run $NQ verify "$S/0001-full" --pubkey "$K/backup-kem.pub"
expect_rc "a key of the wrong type refused" 1
expect_err "names the key file and its type" "backup-kem.pub: is an ML-KEM-768 public key"
chmod 644 "$K/backup-sign.key"
run $NQ backup "$SDB" "$S" --sign "$K/backup-sign.key"
expect_rc "a secret key readable by others refused" 2
expect_err "says chmod 600" "chmod 600"

cli_finish
