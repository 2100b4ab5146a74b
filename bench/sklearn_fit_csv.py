"""scikit-learn's side of bench/e2e.ts: fit the same model on the same file.

Usage: python3 sklearn_fit_csv.py DATA.csv TARGET TREES SEED TEST_FRACTION
Reads the CSV (numeric features, the target column), makes a seeded stratified split, fits
RandomForestClassifier(n_estimators=TREES, n_jobs=1) on the training rows, and prints one JSON
object: fitSeconds (the fit alone, reading excluded), readSeconds, accuracy on the test rows,
peakRssMb and the scikit-learn version.
"""

import json
import resource
import sys
import time

import numpy as np
from sklearn import __version__ as sklearn_version
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split


def main() -> None:
    path, target, trees, seed, test_fraction = sys.argv[1:6]
    t0 = time.perf_counter()
    with open(path, encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    read_seconds = time.perf_counter() - t0
    t = header.index(target)
    y = data[:, t].astype(np.int64)
    X = np.delete(data, t, axis=1)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=float(test_fraction), random_state=int(seed), stratify=y
    )
    model = RandomForestClassifier(n_estimators=int(trees), n_jobs=1, random_state=int(seed))
    t0 = time.perf_counter()
    model.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - t0
    accuracy = float(np.mean(model.predict(X_test) == y_test))
    print(
        json.dumps(
            {
                "fitSeconds": fit_seconds,
                "readSeconds": read_seconds,
                "accuracy": accuracy,
                "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "sklearnVersion": sklearn_version,
            }
        )
    )


if __name__ == "__main__":
    main()
