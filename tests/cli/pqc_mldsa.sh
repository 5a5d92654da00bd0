#!/bin/sh
# pqc_mldsa.sh NQDB... — `nqdb pqc mldsa65|mldsa87` (and mldsa44) end to end (FIPS 204, docs/security.md):
# keygen from a seed gives the key pair @noble/post-quantum 0.7.1 gives (prefix and suffix of
# pk, for the seed 00 01 .. 1f), the deterministic signature of "NeuroQuantumDB" under the
# context "nqdb-test" is noble's, sign -> verify round trips (deterministic, hedged, --rnd,
# --json), a tampered signature, message or context exits 1 with "valid: false", and bad input
# (odd or non-hex digits, wrong key/signature/rnd lengths, a context over 255 bytes, missing or
# stray options, an unknown operation, a secret key that does not decode) exits 2 with a
# message naming the argument.
set -u
. "$(dirname "$0")/lib.sh"
cli_setup pqcmldsa
NQ="$*"

SEED=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
MSG=4e6575726f5175616e74756d4442   # "NeuroQuantumDB"
CTX=6e7164622d74657374             # "nqdb-test"
val() { sed -n "s/^$1: //p" "$T/out"; }

run $NQ pqc mldsa65 --help
expect_rc "help" 0
expect_out "help lists verify" "verify --pk HEX --msg HEX --sig HEX"

for alg in mldsa65 mldsa87; do
    if [ $alg = mldsa65 ]; then
        PKHEAD=48683d91978e31eb3dddb8b0473482d2 PKTAIL=96a4e81b2104bc460a051e02f2e8444f
        SIGHEAD=0be3f257b4902f28e9cef932ff2ebd00 SIGTAIL=00000000000000000000080c171d232b
        PKLEN=3904 SKLEN=8064 SIGLEN=6618
    else
        PKHEAD=9792bcec2f2430686a82fccf3c2f5ff6 PKTAIL=8ba90a974073326b31212aece0a34a60
        SIGHEAD=be4b4d95c2b7932614f36fde761d6c99 SIGTAIL=000000000000000008101a222d31393f
        PKLEN=5184 SKLEN=9792 SIGLEN=9254
    fi
    run $NQ pqc $alg keygen --seed $SEED
    expect_rc "$alg keygen" 0
    PK=$(val pk) SK=$(val sk)
    [ ${#PK} = $PKLEN ] && [ ${#SK} = $SKLEN ] && ok "$alg key lengths" || bad "$alg key lengths" "${#PK} ${#SK}"
    case $PK in $PKHEAD*$PKTAIL) ok "$alg pk is noble's" ;; *) bad "$alg pk is noble's" "$(echo "$PK" | head -c 40)" ;; esac

    run $NQ pqc $alg sign --sk $SK --msg $MSG --ctx $CTX --deterministic
    expect_rc "$alg sign deterministic" 0
    SIG=$(val sig)
    [ ${#SIG} = $SIGLEN ] && ok "$alg sig length" || bad "$alg sig length" "${#SIG}"
    case $SIG in $SIGHEAD*$SIGTAIL) ok "$alg signature is noble's" ;; *) bad "$alg signature is noble's" "$(echo "$SIG" | head -c 40)" ;; esac
    run $NQ pqc $alg sign --sk $SK --msg $MSG --ctx $CTX --rnd 0000000000000000000000000000000000000000000000000000000000000000
    [ "$(val sig)" = "$SIG" ] && ok "$alg --rnd 0^32 is --deterministic" || bad "$alg --rnd 0^32 is --deterministic" "differs"

    run $NQ pqc $alg verify --pk $PK --msg $MSG --ctx $CTX --sig $SIG
    expect_rc "$alg verify" 0
    expect_out "$alg verify says valid" "^valid: true"
    run $NQ pqc $alg verify --pk $PK --msg $MSG --ctx $CTX --sig $SIG --json
    expect_rc "$alg verify --json" 0
    expect_out "$alg verify json" '"valid":true'

    # tampered: one hex digit of the signature, the message, the context (here: none)
    T1=$(echo "$SIG" | sed 's/^\(.\{100\}\)./\1f/')
    [ "$T1" = "$SIG" ] && T1=$(echo "$SIG" | sed 's/^\(.\{100\}\)./\10/')
    run $NQ pqc $alg verify --pk $PK --msg $MSG --ctx $CTX --sig $T1
    expect_rc "$alg tampered signature exits 1" 1
    expect_out "$alg tampered signature invalid" "^valid: false"
    run $NQ pqc $alg verify --pk $PK --msg ${MSG}00 --ctx $CTX --sig $SIG
    expect_rc "$alg tampered message exits 1" 1
    run $NQ pqc $alg verify --pk $PK --msg $MSG --sig $SIG
    expect_rc "$alg other context exits 1" 1

    # hedged: differs from the deterministic one, still verifies; --json
    run $NQ pqc $alg sign --sk $SK --msg $MSG --json
    expect_rc "$alg sign hedged --json" 0
    expect_out "$alg sign json" '"sig":"'
    HS=$(sed 's/.*"sig":"\([0-9a-f]*\)".*/\1/' "$T/out")
    run $NQ pqc $alg verify --pk $PK --msg $MSG --sig $HS
    expect_rc "$alg hedged signature verifies" 0
done

# ML-DSA-44: a round trip and a tampered message
run $NQ pqc mldsa44 keygen --seed $SEED
expect_rc "mldsa44 keygen" 0
PK=$(val pk) SK=$(val sk)
[ ${#PK} = 2624 ] && [ ${#SK} = 5120 ] && ok "mldsa44 key lengths" || bad "mldsa44 key lengths" "${#PK} ${#SK}"
run $NQ pqc mldsa44 sign --sk $SK --msg $MSG
expect_rc "mldsa44 sign" 0
SIG=$(val sig)
run $NQ pqc mldsa44 verify --pk $PK --msg $MSG --sig $SIG
expect_rc "mldsa44 verify" 0
run $NQ pqc mldsa44 verify --pk $PK --msg 00 --sig $SIG
expect_rc "mldsa44 tampered message exits 1" 1

# bad input: exit 2 with a message naming the argument
run $NQ pqc mldsa65 keygen --seed 0011
expect_rc "short seed" 2
expect_err "short seed named" "\-\-seed: the seed is 32 bytes, got 2"
run $NQ pqc mldsa65 keygen --seed 0g
expect_rc "non-hex seed" 2
expect_err "non-hex named" "\-\-seed: not a hex digit"
run $NQ pqc mldsa65 sign --sk abc --msg ""
expect_rc "odd hex" 2
expect_err "odd hex named" "\-\-sk: odd number of hex digits"
run $NQ pqc mldsa65 sign --sk 00 --msg 00
expect_rc "short sk" 2
expect_err "short sk named" "\-\-sk: the secret key is 4032 bytes, got 1"
run $NQ pqc mldsa65 verify --pk 00 --msg 00 --sig 00
expect_rc "short pk" 2
expect_err "short pk named" "\-\-pk: the public key is 1952 bytes"
run $NQ pqc mldsa65 verify --pk $(printf '%03904d' 0) --msg 00 --sig 00
expect_rc "short sig" 2
expect_err "short sig named" "\-\-sig: a signature is 3309 bytes, got 1"
run $NQ pqc mldsa65 sign --sk $(printf '%08064d' 0) --msg 00 --ctx $(printf '%0512d' 0)
expect_rc "long context" 2
expect_err "long context named" "\-\-ctx: a context is at most 255 bytes, got 256"
run $NQ pqc mldsa65 sign --sk $(printf 'f%.0s' $(seq 8064)) --msg 00
expect_rc "undecodable sk" 2
expect_err "undecodable sk named" "\-\-sk: not a valid ML-DSA-65 secret key"
run $NQ pqc mldsa65 sign --sk $(printf '%08064d' 0) --msg 00 --rnd 00
expect_rc "short rnd" 2
expect_err "short rnd named" "\-\-rnd: rnd is 32 bytes, got 1"
run $NQ pqc mldsa65 sign --msg 00
expect_rc "missing sk" 2
expect_err "missing sk named" "\-\-sk HEX is required"
run $NQ pqc mldsa65 verify --pk 00 --sig 00
expect_rc "missing msg" 2
expect_err "missing msg named" "\-\-msg HEX is required"
run $NQ pqc mldsa65 keygen --msg 00
expect_rc "stray option" 2
expect_err "stray option named" "\-\-msg does not apply to keygen"
run $NQ pqc mldsa65 frobnicate
expect_rc "unknown operation" 2
expect_err "unknown operation named" "unknown operation \"frobnicate\""
run $NQ pqc mldsa65 sign --sk
expect_rc "option without value" 2
expect_err "option without value named" "\-\-sk needs a hex value"

cli_finish
