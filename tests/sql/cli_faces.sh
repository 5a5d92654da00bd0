#!/bin/sh
# cli_faces.sh NQDB... — end-to-end checks of the SQL faces of the nqdb command: `nqdb sql`
# in every output format (exact bytes), errors on stderr with exit status 2, the shell fed on
# stdin (multi-line statements, several statements on a line, dot-commands, stop at the first
# error with the input line), and `nqdb slt` on small scripts (passing, failing, missing).
# The arguments are the command that runs nqdb (with an emulator in front for cross builds).
# Prints each check that fails and exits 1 if any did.
set -u
T=$(mktemp -d "${TMPDIR:-/tmp}/nqdb-cli-XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
fails=0
NQ="$*"

# check NAME EXPECTED-RC EXPECTED-STDOUT-FILE [EXPECTED-STDERR-FIRST-LINE] -- then the command
check() {
  name=$1 want_rc=$2 want_out=$3 want_err=$4
  shift 4
  "$@" >"$T/out" 2>"$T/err" </dev/null
  rc=$?
  ok=1
  [ "$rc" = "$want_rc" ] || { echo "FAIL $name: exit status $rc, expected $want_rc"; ok=0; }
  if [ "$want_out" != - ] && ! cmp -s "$T/out" "$want_out"; then
    echo "FAIL $name: stdout differs"; echo "--- expected"; od -c "$want_out" | head -20
    echo "--- got"; od -c "$T/out" | head -20; ok=0
  fi
  if [ -n "$want_err" ] && [ "$(head -n 1 "$T/err")" != "$want_err" ]; then
    echo "FAIL $name: stderr starts \"$(head -n 1 "$T/err")\", expected \"$want_err\""; ok=0
  fi
  [ $ok = 1 ] && echo "ok   $name" || fails=$((fails + 1))
}
# the same with stdin from a file
check_in() {
  input=$1; shift
  name=$1 want_rc=$2 want_out=$3 want_err=$4
  shift 4
  "$@" >"$T/out" 2>"$T/err" <"$input"
  rc=$?
  ok=1
  [ "$rc" = "$want_rc" ] || { echo "FAIL $name: exit status $rc, expected $want_rc"; ok=0; }
  if [ "$want_out" != - ] && ! cmp -s "$T/out" "$want_out"; then
    echo "FAIL $name: stdout differs"; echo "--- expected"; od -c "$want_out" | head -20
    echo "--- got"; od -c "$T/out" | head -20; ok=0
  fi
  if [ -n "$want_err" ] && [ "$(head -n 1 "$T/err")" != "$want_err" ]; then
    echo "FAIL $name: stderr starts \"$(head -n 1 "$T/err")\", expected \"$want_err\""; ok=0
  fi
  [ $ok = 1 ] && echo "ok   $name" || fails=$((fails + 1))
}

DB="$T/db"
printf '' >"$T/empty"
check "sql: setup" 0 "$T/empty" "" $NQ sql "$DB" \
  "CREATE TABLE t(a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x,y'), (2, NULL), (3, '')"

printf 'a,b\r\n1,"x,y"\r\n2,\r\n3,""\r\n' >"$T/csv"
check "sql --format csv" 0 "$T/csv" "" $NQ sql "$DB" "SELECT a, b FROM t ORDER BY a" --format csv

printf 'a\tb\n1\tx,y\n2\t\n3\t\n' >"$T/tsv"
check "sql --format tsv" 0 "$T/tsv" "" $NQ sql "$DB" "SELECT a, b FROM t ORDER BY a" --format tsv

printf '[\n  {"a": 1, "b": "x,y"},\n  {"a": 2, "b": null},\n  {"a": 3, "b": ""}\n]\n' >"$T/json"
check "sql --format json" 0 "$T/json" "" $NQ sql "$DB" "SELECT a, b FROM t ORDER BY a" --format=json

printf '[\n  {"r": 1.5, "big": 1e+20, "inf": "Infinity", "b": true, "s": "a\\"b\\\\c"}\n]\n' >"$T/jsontypes"
check "sql --format json, value types" 0 "$T/jsontypes" "" $NQ sql "$DB" \
  "SELECT 1.5 AS r, 1e20 AS big, CAST('Infinity' AS REAL) AS inf, TRUE AS b, 'a\"b\\c' AS s" --format json

printf '[]\n' >"$T/json0"
check "sql --format json, no rows" 0 "$T/json0" "" $NQ sql "$DB" "SELECT a FROM t WHERE a > 9" --format json

cat >"$T/table" <<'END'
+---+------+
| a | b    |
+---+------+
| 1 | x,y  |
| 2 | NULL |
| 3 |      |
+---+------+
(3 rows)
END
check "sql --format table" 0 "$T/table" "" $NQ sql "$DB" "SELECT a, b FROM t ORDER BY a"

printf '1|x,y\n2|NULL\n' >"$T/list"
check "sql --format list, two statements" 0 "$T/list" "" $NQ sql "$DB" \
  "SELECT a, b FROM t WHERE a = 1; SELECT a, b FROM t WHERE a = 2" --format list

check "sql: syntax error" 2 "$T/empty" 'ERROR 42601: near "FORM": syntax error at line 1, column 10' \
  $NQ sql "$DB" "SELECT * FORM t"
printf '1\n' >"$T/one"
check "sql: stops at the first error" 2 "$T/one" "ERROR 42P01: no such table: nosuch" \
  $NQ sql "$DB" "SELECT 1; SELECT * FROM nosuch; SELECT 2" --format list
check "sql: constraint error has its SQLSTATE" 2 - \
  'ERROR 23000: duplicate key value violates unique constraint "u_a_key"' \
  $NQ sql "$T/c.db" "CREATE TABLE u(a INT UNIQUE); INSERT INTO u VALUES (1), (1)"
check "sql: COMMIT without BEGIN is 25000" 2 "$T/empty" "ERROR 25000: no transaction is in progress" \
  $NQ sql "$DB" "COMMIT"
# --isolation: the default level of transactions that name none
printf 'serializable\nserializable\nrepeatable read\n' >"$T/iso"
check "sql --isolation" 0 "$T/iso" "" $NQ sql "$DB" --isolation serializable \
  "SHOW default_transaction_isolation; BEGIN; SHOW transaction_isolation; COMMIT; BEGIN ISOLATION LEVEL REPEATABLE READ; SHOW transaction_isolation; ROLLBACK" --format list
printf 'read committed\n' >"$T/iso2"
check "sql: read committed is the default" 0 "$T/iso2" "" $NQ sql "$DB" \
  "SHOW transaction_isolation" --format list
check "sql --isolation=repeatable_read" 0 - "" $NQ sql "$DB" --isolation=repeatable_read "SELECT 1"
check "sql --isolation bad" 2 "$T/empty" \
  "nqdb: --isolation snapshot: expected read committed, repeatable read or serializable (read uncommitted runs as read committed)" \
  $NQ sql "$DB" --isolation snapshot "SELECT 1"
check "sql: bad format" 2 "$T/empty" "" $NQ sql "$DB" "SELECT 1" --format xml
check "sql: usage" 2 "$T/empty" "" $NQ sql "$DB"

# the shell on stdin
printf 'SELECT 1\n  + 1 AS two;\nSELECT a FROM t WHERE a = 3; SELECT 4 AS four;\n-- a comment\n' >"$T/in1"
printf 'two\r\n2\r\na\r\n3\r\nfour\r\n4\r\n' >"$T/out1"
check_in "$T/in1" "shell: multi-line and several per line" 0 "$T/out1" "" $NQ shell "$DB" --format csv

printf 'SELECT 1;\n\nSELEC 2;\nSELECT 3;\n' >"$T/in2"
check_in "$T/in2" "shell: first error stops, exit 2" 2 "$T/one" \
  'ERROR 42601: near "SELEC": syntax error at line 1, column 1' $NQ shell "$DB" --format list
[ "$(sed -n 2p "$T/err")" = "  (stdin line 3)" ] && echo "ok   shell: names the input line" ||
  { echo "FAIL shell: second stderr line \"$(sed -n 2p "$T/err")\""; fails=$((fails + 1)); }

printf '.mode json\nSELECT 5 AS five;\n.mode\n.timer off\n' >"$T/in3"
printf '[\n  {"five": 5}\n]\njson\n' >"$T/out3"
check_in "$T/in3" "shell: .mode" 0 "$T/out3" "" $NQ shell "$DB"

printf '.mode xml\nSELECT 1;\n' >"$T/in4"
check_in "$T/in4" "shell: bad dot-command argument" 2 "$T/empty" "" $NQ shell "$DB"
printf '.nosuch\n' >"$T/in5"
check_in "$T/in5" "shell: unknown dot-command" 2 "$T/empty" \
  'Error: unknown command ".nosuch" (try .help)' $NQ shell "$DB"
printf 'SELECT 7 AS seven\n' >"$T/in6"
printf '7\n' >"$T/out6"
check_in "$T/in6" "shell: last statement without ';'" 0 "$T/out6" "" $NQ shell "$DB" --format list

# nqdb slt
cat >"$T/good.test" <<'END'
hash-threshold 4

statement ok
CREATE TABLE s(x INTEGER, y TEXT)

statement ok
INSERT INTO s VALUES (3, 'c'), (1, 'a'), (2, NULL), (10, '')

statement error
INSERT INTO nosuch VALUES (1)

query IT rowsort
SELECT x, y FROM s
----
1
a
10
(empty)
2
NULL
3
c

query IT rowsort label-rows
SELECT x, y FROM s WHERE x < 3
----
1 a
2 NULL

query I valuesort
SELECT x FROM s
----
1
10
2
3

query IT nosort label-rows
SELECT x, y FROM s WHERE x <= 2 ORDER BY x
----
2 values hashing to 0123456789abcdef0123456789abcdef

skipif nqdb
statement ok
THIS IS NOT SQL

onlyif sqlite
statement ok
THIS IS NOT SQL EITHER

query R nosort
SELECT x / 4.0 FROM s WHERE x = 3
----
0.750

statement ok
CREATE TRIGGER tr AFTER INSERT ON s BEGIN SELECT 1; END

halt

statement ok
NOR THIS
END
# the hash of "1\na\n2\nNULL\n" (values of the rowsort query, same label)
h=$(printf '1\na\n2\nNULL\n' | md5sum | cut -d' ' -f1)
sed -i "s/0123456789abcdef0123456789abcdef/$h/; s/^2 values hashing/4 values hashing/" "$T/good.test"
check "slt: passing script" 0 - "" $NQ slt "$T/good.test"
tail -n 2 "$T/out" >"$T/tail"
printf '8 passed, 0 failed, 4 skipped (triggers: 1, skipif nqdb: 1, onlyif other engines: 1, after halt: 1)\n8 passed, 0 failed\n' >"$T/tail_want"
cmp -s "$T/tail" "$T/tail_want" && echo "ok   slt: summary lines" ||
  { echo "FAIL slt: summary lines:"; cat "$T/tail"; cat "$T/out"; fails=$((fails + 1)); }

cat >"$T/bad.test" <<'END'
query I nosort
SELECT 1
----
2

statement ok
SELECT * FROM nosuch

statement error
SELECT 1

query II nosort
SELECT 1
----
1
END
check "slt: failing script" 1 - "" $NQ slt "$T/bad.test"
[ "$(tail -n 1 "$T/out")" = "0 passed, 4 failed" ] && [ "$(grep -c '^FAIL ' "$T/out")" = 4 ] &&
  echo "ok   slt: each failure reported" ||
  { echo "FAIL slt: failures not reported as expected:"; cat "$T/out"; fails=$((fails + 1)); }
check "slt: missing script" 2 - "" $NQ slt "$T/nosuch.test"

[ $fails = 0 ] && echo "all CLI checks passed" || echo "$fails CLI check(s) failed"
[ $fails = 0 ]
