"""Writes test/fixtures/linear/*.json: small fixed data sets from scikit-learn's bundled data
(standardized, rounded to 6 decimals, so the fixture is the data) and the coefficients
scikit-learn 1.2 fits on exactly those values, solved to a tight tolerance:

  wine-multinomial  LogisticRegression(lbfgs, C=1), 3 classes (multinomial)
  wine-binary       LogisticRegression(lbfgs, C=0.5), class 0 vs the rest
  diabetes-ridge    Ridge(alpha=1.0), the first 200 rows

Run from the repository root: /usr/bin/python3 test/linear/make_fixtures.py
"""

import json
import os

import numpy as np
import sklearn
from sklearn import datasets
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "linear")


def standardized(X):
    return np.round(StandardScaler().fit_transform(X), 6)


def write(name, X, y, model, params, task):
    coef = np.atleast_2d(model.coef_)
    intercept = np.atleast_1d(model.intercept_)
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(
            {
                "sklearn": sklearn.__version__,
                "task": task,
                "params": params,
                "X": X.tolist(),
                "y": y.tolist(),
                "coef": coef.tolist(),
                "intercept": intercept.tolist(),
            },
            f,
        )
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    X, y = datasets.load_wine(return_X_y=True)
    X = standardized(X)
    tight = dict(solver="lbfgs", tol=1e-12, max_iter=100000)
    m = LogisticRegression(C=1.0, **tight).fit(X, y)
    write("wine-multinomial", X, y, m, {"C": 1.0}, "classification")
    yb = (y == 0).astype(int)
    m = LogisticRegression(C=0.5, **tight).fit(X, yb)
    write("wine-binary", X, yb, m, {"C": 0.5}, "classification")
    X, y = datasets.load_diabetes(return_X_y=True)
    X, y = standardized(X[:200]), y[:200]
    m = Ridge(alpha=1.0).fit(X, y)
    write("diabetes-ridge", X, y, m, {"alpha": 1.0}, "regression")


if __name__ == "__main__":
    main()
