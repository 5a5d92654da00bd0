# tests/cli/lib.sh — what every command-line test script shares (sourced, POSIX sh):
#   cli_setup NAME   a fresh temporary directory $T (removed on exit), fails=0
#   run CMD...       stdout in $T/out, stderr in $T/err, exit status in $rc
#   ok / bad         one check passed / failed (bad counts it)
#   expect_rc NAME STATUS, expect_out NAME TEXT, expect_err NAME TEXT
#   cli_finish       prints the summary; exit status 0 only when no check failed
cli_setup() {
    T=$(mktemp -d "${TMPDIR:-/tmp}/nqdb-$1-XXXXXX") || exit 2
    trap 'rm -rf "$T"' EXIT
    fails=0
}
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1: $2"; fails=$((fails + 1)); }
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }
expect_rc() { [ "$rc" = "$2" ] && ok "$1" || bad "$1" "exit status $rc, expected $2; stderr: $(head -c 300 "$T/err")"; }
expect_out() { grep -q -- "$2" "$T/out" && ok "$1" || bad "$1" "stdout lacks \"$2\": $(head -c 300 "$T/out")"; }
expect_err() { grep -q -- "$2" "$T/err" && ok "$1" || bad "$1" "stderr lacks \"$2\": $(head -c 300 "$T/err")"; }
cli_finish() {
    if [ "$fails" = 0 ]; then echo "all checks passed"; exit 0; fi
    echo "$fails check(s) failed"
    exit 1
}
