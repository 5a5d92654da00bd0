#!/bin/sh
# dna_zip.sh NQDB... — `nqdb dna compress|decompress|stats` end to end: byte-exact round trips
# with every algorithm on FASTA with N runs, lower case, IUPAC letters, several records, CRLF,
# no final newline, an empty file and a plain sequence; stats JSON (length, GC, longest
# homopolymer, bits per nucleotide) on a file whose answers are known; a damaged container is
# refused with exit 1, a message naming the damaged part and no output file; a file that is
# not a container, an unknown algorithm and QuantumInspired exit 2 with a message.
set -u
. "$(dirname "$0")/lib.sh"
cli_setup dnazip
NQ="$*"

# a FASTA file with the awkward parts
{
    printf '>chr1 some description\n'
    i=0
    while [ $i -lt 60 ]; do
        printf 'ACGTTGCAAGGCTTAGCATCGATCGGATCNNNNNNNNNNacgtacgtgggcccATATATCGCGCGTAGCTAGCAT\n'
        i=$((i + 1))
    done
    printf 'ACGTRYKMacgtn\n>chr2\nNNNNNNNNNNNNNNNNNNNN\nTTTTTTTTTTGA\n\n>empty record\n>chr3\nacgt'
} >"$T/a.fa"
printf '>crlf\r\nACGT\r\nAC\r\n' >"$T/crlf.fa"
: >"$T/empty.fa"
printf 'ACGTACGTAAAACCCCGGGGTTTT' >"$T/plain.txt"

for f in a.fa crlf.fa empty.fa plain.txt; do
    for a in TwoBit KmerBased NeuralNetwork Hybrid; do
        run $NQ dna compress "$T/$f" "$T/$f.$a.nqdz" --algorithm $a
        expect_rc "compress $f $a" 0
        run $NQ dna decompress "$T/$f.$a.nqdz" "$T/$f.$a.out"
        expect_rc "decompress $f $a" 0
        cmp -s "$T/$f" "$T/$f.$a.out" && ok "round trip $f $a byte exact" ||
            bad "round trip $f $a" "output differs"
    done
done
run $NQ dna compress "$T/a.fa" "$T/default.nqdz"
expect_rc "compress with the default algorithm" 0
expect_out "compress reports sizes" "bytes ->.*(NeuralNetwork)"

# stats: 3 bases of G/C in 8, homopolymer of 4
printf '>s\nAAAAGCGT\nnN\n' >"$T/s.fa"
run $NQ dna stats "$T/s.fa"
expect_rc "stats" 0
expect_out "stats length" '"length":10'
expect_out "stats bases" '"bases":8'
expect_out "stats gc" '"gc_content":0.375000'
expect_out "stats homopolymer" '"longest_homopolymer":4'
expect_out "stats n" '"n_count":2'
expect_out "stats bits per nucleotide" '"bits_per_nucleotide":[0-9]'
run $NQ dna stats "$T/a.fa" --algorithm TwoBit
expect_rc "stats TwoBit" 0
expect_out "stats algorithm" '"algorithm":"TwoBit"'

# a damaged container: one byte in the middle of the coded bases
cp "$T/a.fa.NeuralNetwork.nqdz" "$T/bad.nqdz"
size=$(wc -c <"$T/bad.nqdz")
off=$((size - 20))
printf 'Z' | dd of="$T/bad.nqdz" bs=1 seek=$off conv=notrunc 2>/dev/null
run $NQ dna decompress "$T/bad.nqdz" "$T/bad.out"
expect_rc "damaged container refused" 1
expect_err "damage named" "block 0 (bases"
[ ! -e "$T/bad.out" ] && ok "nothing written for a damaged container" || bad "damaged" "output written"
# truncated
head -c 40 "$T/a.fa.TwoBit.nqdz" >"$T/trunc.nqdz"
run $NQ dna decompress "$T/trunc.nqdz" "$T/trunc.out"
expect_rc "truncated container refused" 1
[ ! -e "$T/trunc.out" ] && ok "nothing written for a truncated container" || bad "truncated" "output written"
# not a container
run $NQ dna decompress "$T/a.fa" "$T/x.out"
expect_rc "not a container" 2
expect_err "not a container message" "not a DNA container"

# algorithms
run $NQ dna compress "$T/a.fa" "$T/q.nqdz" --algorithm QuantumInspired
expect_rc "QuantumInspired refused" 2
expect_err "QuantumInspired message" "QuantumInspired is not supported"
run $NQ dna compress "$T/a.fa" "$T/q.nqdz" --algorithm gzip
expect_rc "unknown algorithm" 2
expect_err "unknown algorithm message" 'unknown algorithm "gzip"'
[ ! -e "$T/q.nqdz" ] && ok "nothing written for a refused algorithm" || bad "algo" "output written"

# usage
run $NQ dna compress --help
expect_rc "compress --help" 0
expect_out "compress help" "usage: nqdb dna compress IN OUT"
run $NQ dna compress "$T/a.fa"
expect_rc "compress without OUT" 2
run $NQ dna decompress "$T/missing" "$T/x"
expect_rc "missing input" 2
run $NQ dna stats
expect_rc "stats without file" 2

cli_finish
