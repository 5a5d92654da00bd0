#!/bin/sh
# dna_store.sh NQDB... — `nqdb dna encode|decode|simulate` end to end: byte-exact round trips
# (empty, 1 byte, text, binary with NUL and 0xff), the constraints on every oligo of the FASTA
# (no run of 4 — or of 3 with --max-run 2 — and GC within bounds, counted here with awk),
# simulate + decode at the issue's Illumina-like and nanopore-like rates (seeded), clean
# failure beyond them (exit 1, the lost blocks/columns/bytes named, no output file), bad usage
# and bad input (exit 2).
set -u
. "$(dirname "$0")/lib.sh"
cli_setup dnastore
NQ="$*"

seq 1 2500 > "$T/text"
{ seq 1 300; printf '\000\001\377\000'; } > "$T/bin"
: > "$T/empty"
printf 'x' > "$T/one"

for s in encode decode simulate; do
    run $NQ dna $s --help
    expect_rc "$s --help" 0
    expect_out "$s --help usage" "usage: nqdb dna $s"
done

for f in empty one text bin; do
    run $NQ dna encode "$T/$f" "$T/$f.fasta"
    expect_rc "encode $f" 0
    expect_err "encode $f summary" "bits/nt net"
    run $NQ dna decode "$T/$f.fasta" "$T/$f.out"
    expect_rc "decode $f" 0
    cmp -s "$T/$f" "$T/$f.out" && ok "round trip $f" || bad "round trip $f" "output differs"
done

# every oligo: A/C/G/T only, no run longer than 3, GC in 40..60 %
check_pool() { # file maxrun gcmin gcmax
    awk -v k="$2" -v lo="$3" -v hi="$4" '
        /^>/ { next }
        { n = length($0); gc = 0; run = 0; prev = ""
          for (i = 1; i <= n; i++) { c = substr($0, i, 1)
              if (c !~ /[ACGT]/) { print "bad base " c; exit 1 }
              run = (c == prev) ? run + 1 : 1; prev = c
              if (run > k) { print "run " run " in line " NR; exit 1 }
              if (c == "G" || c == "C") gc++ }
          if (gc < lo * n - 1e-9 || gc > hi * n + 1e-9) { print "gc " gc "/" n " in line " NR; exit 1 } }' "$1"
}
out=$(check_pool "$T/text.fasta" 3 0.4 0.6) && ok "constraints on every oligo" || bad "constraints" "$out"

run $NQ dna encode "$T/bin" "$T/bin2.fasta" --oligo-length 200 --redundancy 0.3 --max-run 2 --gc-min 0.45 --gc-max 0.55
expect_rc "encode with options" 0
out=$(check_pool "$T/bin2.fasta" 2 0.45 0.55) && ok "constraints with options" || bad "constraints with options" "$out"
grep -v '^>' "$T/bin2.fasta" | awk 'length($0) != 200 { exit 1 }' && ok "oligo length 200" || bad "oligo length" "not 200"
run $NQ dna decode "$T/bin2.fasta" "$T/bin2.out"
expect_rc "decode with options (detected)" 0
cmp -s "$T/bin" "$T/bin2.out" && ok "round trip with options" || bad "round trip with options" "differs"

# the GF(2^16) outer code, forced
seq 1 6000 > "$T/text2"
run $NQ dna encode "$T/text2" "$T/f16.fasta" --field 16 --redundancy 0.2
expect_rc "encode --field 16" 0
expect_err "GF(2^16) in the summary" "GF(2^16)"
run $NQ dna simulate "$T/f16.fasta" "$T/f16.fastq" --dropout 0.1 --sub 0.01 --ins 0.005 --del 0.005 --coverage 20 --seed 5
run $NQ dna decode "$T/f16.fastq" "$T/f16.out"
expect_rc "decode GF(2^16) nanopore" 0
cmp -s "$T/text2" "$T/f16.out" && ok "GF(2^16) round trip" || bad "GF(2^16) round trip" "differs"
run $NQ dna encode "$T/text" "$T/x.fasta" --field 12
expect_rc "bad --field" 2

# Illumina-like: 2 % dropout, 0.1 % substitutions, coverage 10
run $NQ dna encode "$T/text" "$T/il.fasta" --redundancy 0.1
run $NQ dna simulate "$T/il.fasta" "$T/il.fastq" --dropout 0.02 --sub 0.001 --ins 0 --del 0 --coverage 10 --seed 1
expect_rc "simulate illumina" 0
expect_err "simulate summary" "reads"
head -4 "$T/il.fastq" | sed -n 3p | grep -q '^+$' && ok "fastq layout" || bad "fastq layout" "no + line"
run $NQ dna decode "$T/il.fastq" "$T/il.out"
expect_rc "decode illumina" 0
cmp -s "$T/text" "$T/il.out" && ok "illumina round trip" || bad "illumina round trip" "differs"
run $NQ dna simulate "$T/il.fasta" "$T/il2.fastq" --dropout 0.02 --sub 0.001 --ins 0 --del 0 --coverage 10 --seed 1
cmp -s "$T/il.fastq" "$T/il2.fastq" && ok "simulate is seeded" || bad "simulate is seeded" "differs"

# the Illumina profile: parity sized for 2.1 % lost oligos
run $NQ dna encode "$T/text" "$T/ilp.fasta" --profile illumina
expect_rc "encode --profile illumina" 0
expect_err "profile summary" "redundancy 0\.[0-9]*, [0-9]*-bit addresses"
run $NQ dna simulate "$T/ilp.fasta" "$T/ilp.fastq" --dropout 0.02 --sub 0.001 --coverage 10 --seed 6
run $NQ dna decode "$T/ilp.fastq" "$T/ilp.out"
expect_rc "decode illumina profile" 0
expect_err "decode names the pool version" "pool version 3"
cmp -s "$T/text" "$T/ilp.out" && ok "illumina profile round trip" || bad "illumina profile round trip" "differs"
run $NQ dna encode "$T/text" "$T/x.fasta" --profile sanger
expect_rc "bad --profile" 2
run $NQ dna encode "$T/text" "$T/x.fasta" --loss 0.7
expect_rc "--loss out of range" 2

# nanopore-like: 10 % dropout, 1 % substitutions, 0.5 % insertions and deletions, coverage 20
run $NQ dna encode "$T/text" "$T/np.fasta" --redundancy 0.3
run $NQ dna simulate "$T/np.fasta" "$T/np.fastq" --dropout 0.1 --sub 0.01 --ins 0.005 --del 0.005 --coverage 20 --seed 2
expect_rc "simulate nanopore" 0
run $NQ dna decode "$T/np.fastq" "$T/np.out"
expect_rc "decode nanopore" 0
expect_err "decode report" "by consensus"
cmp -s "$T/text" "$T/np.out" && ok "nanopore round trip" || bad "nanopore round trip" "differs"

# beyond: 60 % dropout against 10 % parity
run $NQ dna simulate "$T/il.fasta" "$T/lost.fastq" --dropout 0.6 --sub 0.001 --coverage 10 --seed 3
run $NQ dna decode "$T/lost.fastq" "$T/lost.out"
expect_rc "decode beyond: exit 1" 1
expect_err "names the lost part" "unrecoverable: .*block 0 (bytes 0\.\."
expect_err "names the columns" "columns"
[ ! -e "$T/lost.out" ] && ok "no output when lost" || bad "no output when lost" "file written"
# the header alone survives nowhere: nothing
run $NQ dna simulate "$T/il.fasta" "$T/none.fastq" --dropout 1 --seed 4
run $NQ dna decode "$T/none.fastq" "$T/none.out"
expect_rc "no reads at all: exit 2" 2

# bad usage and bad input
run $NQ dna encode "$T/nope" "$T/x.fasta"
expect_rc "encode missing input" 2
run $NQ dna encode "$T/text" "$T/x.fasta" --redundancy 2
expect_rc "redundancy out of range" 2
expect_err "redundancy message" "redundancy"
run $NQ dna encode "$T/text" "$T/x.fasta" --oligo-length 70
expect_rc "oligo too short for the header" 2
run $NQ dna encode "$T/text" "$T/x.fasta" --bogus 1
expect_rc "unknown option" 2
run $NQ dna encode "$T/text"
expect_rc "missing output" 2
printf 'not a fasta file\n' > "$T/garbage"
run $NQ dna decode "$T/garbage" "$T/g.out"
expect_rc "decode garbage" 2
expect_err "garbage message" "line 1"
printf '@r\nACGT\n+\nII\n' > "$T/badq.fastq"
run $NQ dna decode "$T/badq.fastq" "$T/g.out"
expect_rc "decode bad fastq" 2
run $NQ dna simulate "$T/il.fasta" "$T/x.fastq" --sub 1.5
expect_rc "simulate bad rate" 2
run $NQ dna simulate "$T/il.fasta" "$T/x.fastq" --seed -1
expect_rc "simulate bad seed" 2

cli_finish
