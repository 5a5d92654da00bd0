#!/bin/sh
# pqc_mlkem.sh NQDB... — `nqdb pqc mlkem768|mlkem1024` end to end (docs/security.md):
# keygen from the seed 00 01 .. 3f, encaps with m = 40 41 .. 5f and decaps, against known
# answers computed with @noble/post-quantum 0.7.1 (the SHA-256 of each hex string, and the
# shared secret in full); a random key pair and encapsulation that agree with decapsulation;
# --json; a tampered ciphertext decapsulates (exit 0) to another secret (implicit rejection);
# and malformed input — odd hex, a non-hex digit, wrong lengths, an encapsulation key failing
# the modulus check, a decapsulation key failing the hash check, missing or misplaced options —
# exits 2 with a message naming the problem.
set -u
. "$(dirname "$0")/lib.sh"
cli_setup pqcmlkem
NQ="$*"

SEED=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
M=404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f

field() { sed -n "s/^$1: //p" "$T/out"; }
sha() { printf '%s' "$1" | sha256sum | cut -c1-64; }

run $NQ pqc mlkem768 --help
expect_rc "--help" 0
expect_out "help names the operations" "decaps --dk HEX --ct HEX"

# ---- known answers (noble), ML-KEM-768 and ML-KEM-1024 ----
check_kat() { # alg sha_ek sha_dk sha_ct ss
    alg=$1
    run $NQ pqc "$alg" keygen --seed "$SEED"
    expect_rc "$alg keygen --seed" 0
    ek=$(field ek) dk=$(field dk)
    [ "$(sha "$ek")" = "$2" ] && ok "$alg ek known answer" || bad "$alg ek known answer" "sha256 $(sha "$ek")"
    [ "$(sha "$dk")" = "$3" ] && ok "$alg dk known answer" || bad "$alg dk known answer" "sha256 $(sha "$dk")"
    run $NQ pqc "$alg" encaps --ek "$ek" --m "$M"
    expect_rc "$alg encaps --m" 0
    ct=$(field ct)
    [ "$(sha "$ct")" = "$4" ] && ok "$alg ct known answer" || bad "$alg ct known answer" "sha256 $(sha "$ct")"
    expect_out "$alg ss known answer" "^ss: $5\$"
    run $NQ pqc "$alg" decaps --dk "$dk" --ct "$ct"
    expect_rc "$alg decaps" 0
    expect_out "$alg decaps gives the same secret" "^ss: $5\$"
}
check_kat mlkem768 6c4e46984b05407d80e576b5f488ef3cb0f6a48bfd29188ac02f3d17f9dacf54 \
    1184e30b0b51ef8f0816670b9ca9717ecda8397e0d915edaf50f5b7b6801554a \
    c6171b476cc6768880d4f3f788d932885036b4c9d60b7c7c5a681acf2f325611 \
    9cddd089ffe70e3996e76f7c8d06746df34d07e8657bc0fcf2bb0e1c3084aea1
ek1024=$ek
check_kat mlkem1024 9c859a5d4b2cb46e74eaba728fab3c9651d659e8f133264daecd2817d0b16240 \
    0d1f5d9df3e4cd050ced62280aba56966c4f20740085ff3c8c871cbf158832a5 \
    704f22554dd6053784f05919748ca5fe975d89eb1252be8f8ec2967ac0d55526 \
    0ad8d1ea1b8dd788979b4379581218df9321bdce5567eca42ae6be7d395f1a54
ek1024=$ek dk1024=$dk ct1024=$ct

# ---- --json, with the option=value form ----
run $NQ pqc mlkem768 keygen --seed="$SEED" --json
expect_rc "keygen --json" 0
expect_out "json object" '^{"algorithm":"ML-KEM-768","operation":"keygen","ek":"[0-9a-f]*","dk":"[0-9a-f]*"}$'

# ---- random key pair and encapsulation ----
run $NQ pqc mlkem768 keygen
expect_rc "random keygen" 0
rek=$(field ek) rdk=$(field dk)
[ ${#rek} = 2368 ] && [ ${#rdk} = 4800 ] && ok "random key sizes" || bad "random key sizes" "${#rek} ${#rdk}"
run $NQ pqc mlkem768 keygen
[ "$(field ek)" != "$rek" ] && ok "two random key pairs differ" || bad "two random key pairs differ" "same ek"
run $NQ pqc mlkem768 encaps --ek "$rek"
expect_rc "random encaps" 0
rct=$(field ct) rss=$(field ss)
run $NQ pqc mlkem768 decaps --dk "$rdk" --ct "$rct"
expect_rc "random decaps" 0
expect_out "random round trip" "^ss: $rss\$"

# ---- implicit rejection: one hex digit of the ciphertext changed ----
first=$(printf '%s' "$rct" | cut -c1)
if [ "$first" = 0 ]; then repl=1; else repl=0; fi
tct="$repl$(printf '%s' "$rct" | cut -c2-)"
run $NQ pqc mlkem768 decaps --dk "$rdk" --ct "$tct"
expect_rc "tampered ciphertext decapsulates" 0
if grep -q "^ss: $rss\$" "$T/out"; then bad "implicit rejection" "tampered ct gave the real secret"
else ok "implicit rejection gives another secret"; fi

# ---- malformed input: exit 2 with a message ----
run $NQ pqc mlkem768 keygen --seed 000
expect_rc "odd hex seed" 2
expect_err "odd hex message" "--seed: odd number of hex digits (3)"
run $NQ pqc mlkem768 keygen --seed 00
expect_rc "short seed" 2
expect_err "short seed message" "--seed: ML-KEM-768 seed (d || z) is 64 bytes, got 1"
run $NQ pqc mlkem768 encaps --ek "x$rek"
expect_rc "non-hex ek" 2
expect_err "non-hex message" "--ek: not a hex digit at position 1"
run $NQ pqc mlkem768 encaps --ek "$ek1024"
expect_rc "ML-KEM-1024 ek given to ML-KEM-768" 2
expect_err "wrong length message" "--ek: ML-KEM-768 encapsulation key is 1184 bytes, got 1568"
badek="ffff$(printf '%s' "$rek" | cut -c5-)"
run $NQ pqc mlkem768 encaps --ek "$badek"
expect_rc "bad modulus" 2
expect_err "bad modulus message" "--ek: ML-KEM-768 encapsulation key: modulus check failed (coefficient 0 of polynomial 0 is 4095"
run $NQ pqc mlkem768 encaps --ek "$rek" --m 0011
expect_rc "short m" 2
expect_err "short m message" "--m: ML-KEM-768 randomness m is 32 bytes, got 2"
# change a hex digit inside the ek that dk holds (after the 1152 bytes of s)
pre=$(printf '%s' "$rdk" | cut -c1-2310)
digit=$(printf '%s' "$rdk" | cut -c2311)
post=$(printf '%s' "$rdk" | cut -c2312-)
if [ "$digit" = 0 ]; then digit=1; else digit=0; fi
run $NQ pqc mlkem768 decaps --dk "$pre$digit$post" --ct "$rct"
expect_rc "dk failing the hash check" 2
expect_err "hash check message" "--dk: ML-KEM-768 decapsulation key: hash check failed"
run $NQ pqc mlkem768 decaps --dk "$rdk" --ct "${rct}00"
expect_rc "long ciphertext" 2
expect_err "ciphertext length message" "--ct: ML-KEM-768 ciphertext is 1088 bytes, got 1089"
run $NQ pqc mlkem1024 decaps --dk "$dk1024" --ct "$rct"
expect_rc "ML-KEM-768 ct given to ML-KEM-1024" 2
run $NQ pqc mlkem1024 decaps --dk "$dk1024"
expect_rc "decaps without --ct" 2
expect_err "missing option message" "--dk HEX and --ct HEX are required"
run $NQ pqc mlkem1024 encaps
expect_rc "encaps without --ek" 2
run $NQ pqc mlkem1024 encaps --ek "$ek1024" --ct "$ct1024"
expect_rc "option of another operation" 2
expect_err "misplaced option message" "--ct does not apply to encaps"
run $NQ pqc mlkem1024 keygen --seed
expect_rc "option without value" 2
run $NQ pqc mlkem1024 sign
expect_rc "unknown operation" 2
expect_err "unknown operation message" 'unknown operation "sign"'

cli_finish
