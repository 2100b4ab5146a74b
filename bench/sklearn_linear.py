"""The scikit-learn peer of bench:gbdt's linear part: LogisticRegression(lbfgs, C=1) on a
split written by bench/gbdt.ts, standardized with StandardScaler fitted on the training rows.

Usage: python3 sklearn_linear.py DIR TRAIN_ROWS TEST_ROWS FEATURES
Prints one JSON object: fitSeconds, fitCpuSeconds, predictSeconds, accuracy, peakRssMb, coef
(coefficients then the intercept).
"""

import json
import os
import resource
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


def main() -> None:
    folder, train_rows, test_rows, features = sys.argv[1:5]
    train_rows, test_rows, features = int(train_rows), int(test_rows), int(features)
    read = lambda name, dtype: np.fromfile(os.path.join(folder, name), dtype=dtype)
    X_train = read("X_train.f64", "<f8").reshape(train_rows, features)
    y_train = read("y_train.i32", "<i4")
    X_test = read("X_test.f64", "<f8").reshape(test_rows, features)
    y_test = read("y_test.i32", "<i4")
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    model = LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000)
    t0 = time.perf_counter()
    c0 = time.process_time()
    model.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - t0
    fit_cpu_seconds = time.process_time() - c0
    t0 = time.perf_counter()
    predicted = model.predict(X_test)
    print(
        json.dumps(
            {
                "fitSeconds": fit_seconds,
                "fitCpuSeconds": fit_cpu_seconds,
                "predictSeconds": time.perf_counter() - t0,
                "accuracy": float(np.mean(predicted == y_test)),
                "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "coef": [*model.coef_[0].tolist(), float(model.intercept_[0])],
            }
        )
    )


if __name__ == "__main__":
    main()
