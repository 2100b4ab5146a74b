"""Fits scikit-learn's RandomForestClassifier on a split written by bench/forest.ts.

Usage: python3 sklearn_forest.py DIR TRAIN_ROWS TEST_ROWS FEATURES TREES SEED
DIR holds X_train.f64, y_train.i32, X_test.f64, y_test.i32 (little-endian, row-major).
Prints one JSON object: fitSeconds (and fitCpuSeconds), predictSeconds, accuracy, oobScore,
peakRssMb (ru_maxrss of this process, which includes reading the data), sklearn version.
"""

import json
import os
import resource
import sys
import time

import numpy as np
from sklearn import __version__ as sklearn_version
from sklearn.ensemble import RandomForestClassifier


def main() -> None:
    folder, train_rows, test_rows, features, trees, seed = sys.argv[1:7]
    train_rows, test_rows, features = int(train_rows), int(test_rows), int(features)
    read = lambda name, dtype: np.fromfile(os.path.join(folder, name), dtype=dtype)
    X_train = read("X_train.f64", "<f8").reshape(train_rows, features)
    y_train = read("y_train.i32", "<i4")
    X_test = read("X_test.f64", "<f8").reshape(test_rows, features)
    y_test = read("y_test.i32", "<i4")

    model = RandomForestClassifier(
        n_estimators=int(trees), n_jobs=1, random_state=int(seed), oob_score=True
    )
    t0 = time.perf_counter()
    c0 = time.process_time()
    try:
        model.fit(X_train, y_train)
    except ValueError as err:  # e.g. missing values, which sklearn < 1.4 forests reject
        print(json.dumps({"skipped": f"scikit-learn {sklearn_version} cannot fit: {err}"}))
        return
    fit_seconds = time.perf_counter() - t0
    fit_cpu_seconds = time.process_time() - c0
    t0 = time.perf_counter()
    predicted = model.predict(X_test)
    predict_seconds = time.perf_counter() - t0
    accuracy = float(np.mean(predicted == y_test))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "fitSeconds": fit_seconds,
                "fitCpuSeconds": fit_cpu_seconds,
                "oobScore": float(model.oob_score_),
                "predictSeconds": predict_seconds,
                "accuracy": accuracy,
                "peakRssMb": peak_kb / 1024,
                "sklearnVersion": sklearn_version,
            }
        )
    )


if __name__ == "__main__":
    main()
