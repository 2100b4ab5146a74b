"""Peers of the boosting benchmark (bench/gbdt.ts): data generation and the two peer engines.

  python3 sklearn_gbdt.py make DIR ROWS FEATURES SEED
      writes scikit-learn's make_classification data (10 informative features, 2 % label
      noise: data Orchard did not make), split 80/20 with train_test_split(stratify=y), as
      X_train.f64, y_train.i32, X_test.f64, y_test.i32 (little-endian, row-major); prints
      {"trainRows","testRows","features"}.
  python3 sklearn_gbdt.py fit ENGINE DIR TRAIN_ROWS TEST_ROWS FEATURES ITERATIONS SEED THREADS
      ENGINE is xgboost (hist, depth 6) or sklearn (HistGradientBoostingClassifier, 31 leaves);
      both: learning rate 0.1, no early stopping. Prints one JSON object: fitSeconds,
      fitCpuSeconds, predictSeconds, accuracy, peakRssMb (ru_maxrss of this process), version.

Set OMP_NUM_THREADS before Python starts for scikit-learn's thread count (bench/gbdt.ts does).
"""

import json
import os
import resource
import sys
import time

import numpy as np


def make(folder: str, rows: str, features: str, seed: str) -> None:
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, y = make_classification(
        n_samples=int(rows),
        n_features=int(features),
        n_informative=10,
        n_redundant=2,
        flip_y=0.02,
        random_state=int(seed),
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=int(seed)
    )
    for name, a, dtype in [
        ("X_train.f64", X_train, "<f8"),
        ("y_train.i32", y_train, "<i4"),
        ("X_test.f64", X_test, "<f8"),
        ("y_test.i32", y_test, "<i4"),
    ]:
        np.ascontiguousarray(a, dtype=dtype).tofile(os.path.join(folder, name))
    print(json.dumps({"trainRows": len(y_train), "testRows": len(y_test), "features": X.shape[1]}))


def fit(engine, folder, train_rows, test_rows, features, iterations, seed, threads) -> None:
    train_rows, test_rows, features = int(train_rows), int(test_rows), int(features)
    read = lambda name, dtype: np.fromfile(os.path.join(folder, name), dtype=dtype)
    X_train = read("X_train.f64", "<f8").reshape(train_rows, features)
    y_train = read("y_train.i32", "<i4")
    X_test = read("X_test.f64", "<f8").reshape(test_rows, features)
    y_test = read("y_test.i32", "<i4")
    if engine == "xgboost":
        import xgboost

        version = xgboost.__version__
        model = xgboost.XGBClassifier(
            n_estimators=int(iterations),
            max_depth=6,
            learning_rate=0.1,
            tree_method="hist",
            n_jobs=int(threads),
            random_state=int(seed),
        )
    else:
        from sklearn import __version__ as version
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(
            max_iter=int(iterations), early_stopping=False, random_state=int(seed)
        )
    t0 = time.perf_counter()
    c0 = time.process_time()
    model.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - t0
    fit_cpu_seconds = time.process_time() - c0
    t0 = time.perf_counter()
    predicted = model.predict(X_test)
    predict_seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "fitSeconds": fit_seconds,
                "fitCpuSeconds": fit_cpu_seconds,
                "predictSeconds": predict_seconds,
                "accuracy": float(np.mean(predicted == y_test)),
                "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "version": version,
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(*sys.argv[2:6])
    else:
        fit(*sys.argv[2:10])
