"""Peers for test/boosting/parity.test.ts: scikit-learn's bundled data sets (data Orchard did
not make), each split with train_test_split for several seeds and written for Orchard, with
the held-out score of scikit-learn's HistGradientBoosting and XGBoost (hist, leaf-wise, 31
leaves: the same tree shape) fitted on the same split with the same rounds and learning rate.

Usage: python3 sklearn_peers.py DIR ITERATIONS JOB...   JOB = DATASET:SEED[:LOSS]
DATASET: breast_cancer | wine | digits | diabetes (regression; LOSS squared_error or
absolute_error). Each job writes DIR/DATASET-SEED[-LOSS]/{X_train,y_train,X_test,y_test}.f64
(little-endian, row-major) and adds to the printed JSON object, under its directory name,
{"trainRows","testRows","features","classes","hgb","xgb"}: accuracy (classification) or R²
(regression) on the test rows.
"""

import json
import os
import sys

import numpy as np
import xgboost
from sklearn import datasets
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import train_test_split


def run(folder: str, iterations: int, job: str) -> tuple:
    parts = job.split(":")
    name, seed = parts[0], int(parts[1])
    loss = parts[2] if len(parts) > 2 else "squared_error"
    key = "-".join(parts)
    out = os.path.join(folder, key)
    os.makedirs(out, exist_ok=True)
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    regression = name == "diabetes"
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=None if regression else y
    )
    for fname, a in [("X_train", X_train), ("y_train", y_train), ("X_test", X_test), ("y_test", y_test)]:
        np.ascontiguousarray(a, dtype="<f8").tofile(os.path.join(out, f"{fname}.f64"))
    common = dict(max_iter=iterations, early_stopping=False, random_state=seed)
    xgb_common = dict(
        n_estimators=iterations,
        tree_method="hist",
        max_depth=0,
        max_leaves=31,
        grow_policy="lossguide",
        learning_rate=0.1,
        n_jobs=1,
        random_state=seed,
    )
    if regression:
        hgb = HistGradientBoostingRegressor(loss=loss, **common).fit(X_train, y_train)
        objective = "reg:absoluteerror" if loss == "absolute_error" else "reg:squarederror"
        xgb = xgboost.XGBRegressor(objective=objective, **xgb_common).fit(X_train, y_train)
        scores = hgb.score(X_test, y_test), xgb.score(X_test, y_test)
    else:
        hgb = HistGradientBoostingClassifier(**common).fit(X_train, y_train)
        xgb = xgboost.XGBClassifier(**xgb_common).fit(X_train, y_train)
        scores = np.mean(hgb.predict(X_test) == y_test), np.mean(xgb.predict(X_test) == y_test)
    return key, {
        "trainRows": len(y_train),
        "testRows": len(y_test),
        "features": X.shape[1],
        "classes": 0 if regression else int(len(np.unique(y))),
        "hgb": float(scores[0]),
        "xgb": float(scores[1]),
    }


def main() -> None:
    folder, iterations = sys.argv[1], int(sys.argv[2])
    print(json.dumps(dict(run(folder, iterations, job) for job in sys.argv[3:])))


if __name__ == "__main__":
    main()
