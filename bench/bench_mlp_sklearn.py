#!/usr/bin/python3
"""bench_mlp_sklearn.py — the scikit-learn anchor of bench/bench_mlp.c.

Usage: bench_mlp_sklearn.py CONFIG.json
CONFIG holds, per data set: the name, the training and test row numbers chosen by the C side
(nn_dataset_split, so both programs see identical rows), the hidden layer sizes, epochs, batch
size, learning rate, L2 penalty (alpha), seed and repetitions. For each set this script loads
the same CSV file through scikit-learn's own loader, standardises with StandardScaler fitted on
the training rows, and fits MLPClassifier (ReLU, Adam, the same architecture, epochs, batch
size, learning rate and alpha; tol=0 and n_iter_no_change above the epoch count so it runs
every epoch, as the C side does). It times fit() alone, `reps` times, and prints one JSON
document: per set the fit times, the test accuracy of the last fit, the number of epochs run,
and the sum of the training inputs (so the C side can check it read the same numbers).
"""
import json
import sys
import time
import warnings

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

LOADERS = {
    "digits": datasets.load_digits,
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
}


def run(cfg):
    X, y = LOADERS[cfg["name"]](return_X_y=True)
    tr = np.asarray(cfg["train"], dtype=np.int64)
    te = np.asarray(cfg["test"], dtype=np.int64)
    scaler = StandardScaler().fit(X[tr])
    Xtr, Xte = scaler.transform(X[tr]), scaler.transform(X[te])
    times = []
    acc = None
    n_iter = None
    for _ in range(cfg["reps"]):
        clf = MLPClassifier(
            hidden_layer_sizes=tuple(cfg["hidden"]),
            activation="relu",
            solver="adam",
            alpha=cfg["l2"],
            batch_size=cfg["batch"],
            learning_rate_init=cfg["lr"],
            max_iter=cfg["epochs"],
            shuffle=True,
            random_state=cfg["seed"],
            tol=0.0,
            n_iter_no_change=cfg["epochs"] + 1,
            early_stopping=False,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0 = time.perf_counter()
            clf.fit(Xtr, y[tr])
            times.append(time.perf_counter() - t0)
        acc = float((clf.predict(Xte) == y[te]).mean())
        n_iter = int(clf.n_iter_)
    return {
        "name": cfg["name"],
        "fit_seconds": times,
        "test_accuracy": acc,
        "epochs_run": n_iter,
        "train_input_sum": float(X[tr].sum()),
    }


def main():
    with open(sys.argv[1]) as f:
        cfgs = json.load(f)
    import sklearn

    out = {
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "results": [run(c) for c in cfgs],
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
