#!/bin/sh
# neuro_train.sh NQDB... — `nqdb neuro datasets|train|predict` end to end. Most checks run on a
# small data set written here in scikit-learn's CSV format (three separable clusters, through
# --data-dir), so they need no scikit-learn: listing with sizes (text and JSON), training with
# per-epoch lines and a test accuracy, the JSON report, the model file replayed bit for bit by
# the same seed, predictions of clear points, a damaged model refused with exit 1 naming the
# checksum, the spiking layer (NeuromorphicSTDP) training and refusing --out, and bad usage
# (unknown optimizer, the SpikingNeuron activation, an output layer that does not
# match the classes, an unknown data set, wrong input width) refused with exit 2. When Debian's
# python3-sklearn data sets are installed, digits is trained as the docs describe and must reach
# a test accuracy of at least 0.97 (skipped with a message otherwise).
set -u
. "$(dirname "$0")/lib.sh"
cli_setup neurotrain
NQ="$*"

# 60 rows, 2 features, 3 classes: clusters around (0,0), (6,6), (12,0) with a fixed jitter
awk 'BEGIN {
    print "60,2,left,top,right"
    for (i = 0; i < 60; i++) {
        c = i % 3; jx = ((i * 7) % 11) / 10 - 0.5; jy = ((i * 5) % 13) / 12 - 0.5
        cx = (c == 0) ? 0 : (c == 1) ? 6 : 12; cy = (c == 1) ? 6 : 0
        printf "%.2f,%.2f,%d\n", cx + jx, cy + jy, c
    }
}' >"$T/iris.csv"

run $NQ neuro datasets --data-dir "$T"
expect_rc "datasets" 0
expect_out "datasets lists the file found" "iris .* 60 rows .* 2 features .* 3 classes"
expect_out "datasets names what is missing" "digits .*not available"
run $NQ neuro datasets --data-dir "$T" --json
expect_rc "datasets --json" 0
expect_out "datasets json" '"name":"iris","file":"iris.csv","found":true,"rows":60,"features":2,"classes":3'
expect_out "datasets json count" '"found":1}'

TR="neuro train --dataset iris --data-dir $T --layers 8,3 --epochs 40 --batch 8 --lr 0.05 --seed 3"
run $NQ $TR --out "$T/m1.nqnn"
expect_rc "train" 0
expect_out "train prints the network" "iris: 60 rows (45 train, 15 test), network 2-8-3"
expect_out "train prints epochs" "epoch 40/40  loss [0-9.]*  accuracy [0-9.]*"
expect_out "train reaches full accuracy on separable clusters" "test accuracy 1.0000 (15 of 15)"
expect_out "train writes the model" "model written to .*m1.nqnn ([0-9]* bytes)"
run $NQ $TR --out "$T/m2.nqnn"
cmp -s "$T/m1.nqnn" "$T/m2.nqnn" && ok "the same seed writes the same model" ||
    bad "replay" "two runs with seed 3 wrote different models"
run $NQ $TR --json --val-split 0.2 --optimizer rmsprop --activation tanh
expect_rc "train --json" 0
expect_out "train json" '"layers":\[2,8,3\],"activation":"Tanh","output_activation":"Softmax","loss":"CrossEntropy","optimizer":"RMSprop"'
expect_out "train json epochs" '"epoch":40,"loss":[0-9.]*,"accuracy":[0-9.]*,"val_loss":[0-9.]*'
expect_out "train json test accuracy" '"test_accuracy":1.000000'

printf 'x,y\n0.1,-0.2\n6.2,5.9\n11.8,0.3\n' >"$T/in.csv"
run $NQ neuro predict --model "$T/m1.nqnn" --input "$T/in.csv"
expect_rc "predict" 0
expect_out "predict header" "row,class,output"
expect_out "predict row 1" "^1,0,0\.[5-9]"
expect_out "predict row 2" "^2,1,0\.[5-9]"
expect_out "predict row 3" "^3,2,0\.[5-9]"
run $NQ neuro predict --model "$T/m1.nqnn" --input "$T/in.csv" --json
expect_out "predict json" '"row":3,"class":2,"outputs":\['

# a damaged model: one byte in the middle flipped
n=$(wc -c <"$T/m1.nqnn")
dd if="$T/m1.nqnn" of="$T/bad.nqnn" bs=1 count=$((n / 2)) 2>/dev/null
printf '\377' >>"$T/bad.nqnn"
dd if="$T/m1.nqnn" bs=1 skip=$((n / 2 + 1)) 2>/dev/null >>"$T/bad.nqnn"
run $NQ neuro predict --model "$T/bad.nqnn" --input "$T/in.csv"
expect_rc "damaged model" 1
expect_err "damaged model message" "checksum mismatch"
printf '1,2,3\n' >"$T/wide.csv"
run $NQ neuro predict --model "$T/m1.nqnn" --input "$T/wide.csv"
expect_rc "wrong input width" 2
expect_err "wrong input width message" "3 columns, the model takes 2 inputs"
printf '1,2\n3,x\n' >"$T/nan.csv"
run $NQ neuro predict --model "$T/m1.nqnn" --input "$T/nan.csv"
expect_rc "bad input value" 2
expect_err "bad input value message" "line 2, column 2"

run $NQ neuro train --dataset iris --data-dir "$T" --optimizer Adamax
expect_rc "unknown optimizer" 2
expect_err "unknown optimizer message" 'unknown value "Adamax"'
run $NQ neuro train --dataset iris --data-dir "$T" --optimizer NeuromorphicSTDP --layers 20,3 \
    --epochs 20 --batch 8 --seed 3
expect_rc "NeuromorphicSTDP" 0
expect_out "NeuromorphicSTDP layer" "NeuromorphicSTDP: 20 LIF neurons, 1 STDP pass(es)"
expect_out "NeuromorphicSTDP spikes" "spiking layer: [0-9.]* spikes per training sample"
expect_out "NeuromorphicSTDP accuracy" "test accuracy [0-9.]* ([0-9]* of 15)"
run $NQ neuro train --dataset iris --data-dir "$T" --optimizer NeuromorphicSTDP --layers 20,3 \
    --out "$T/s.nqnn"
expect_rc "NeuromorphicSTDP --out" 2
expect_err "NeuromorphicSTDP --out message" "not supported yet: saving a NeuromorphicSTDP model"
run $NQ neuro train --dataset iris --data-dir "$T" --optimizer NeuromorphicSTDP --layers 3
expect_rc "NeuromorphicSTDP without a readout" 2
run $NQ neuro train --dataset iris --data-dir "$T" --activation SpikingNeuron
expect_rc "SpikingNeuron activation" 2
expect_err "SpikingNeuron message" "not supported yet"
run $NQ neuro train --dataset iris --data-dir "$T" --layers 8,4
expect_rc "output layer mismatch" 2
expect_err "output layer mismatch message" "end --layers with 3"
run $NQ neuro train --dataset wine --data-dir "$T"
expect_rc "missing data set file" 2
expect_err "missing data set message" "wine_data.csv"
run $NQ neuro train --dataset iris --data-dir "$T" --epochs 0
expect_rc "zero epochs" 2
run $NQ neuro predict --model "$T/none.nqnn" --input "$T/in.csv"
expect_rc "missing model" 2

SK=/usr/lib/python3/dist-packages/sklearn/datasets/data
if [ -r "$SK/digits.csv.gz" ]; then
    run $NQ neuro train --dataset digits --data-dir "$SK" --layers 128,10 --activation relu \
        --optimizer adam --epochs 30 --batch 32 --lr 0.001 --l2 0.1 --seed 42 --json
    expect_rc "digits" 0
    acc=$(sed -n 's/.*"test_accuracy":\([0-9.]*\).*/\1/p' "$T/out")
    if [ -n "$acc" ] && awk "BEGIN { exit !($acc >= 0.97) }"; then
        ok "digits test accuracy $acc >= 0.97"
    else
        bad "digits test accuracy" "\"$acc\" below 0.97"
    fi
else
    echo "skip digits: $SK/digits.csv.gz not installed (python3-sklearn)"
fi
cli_finish
