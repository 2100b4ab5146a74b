"""scikit-learn reference metrics for the penguins example (test oracle, not a dependency).

Protocol, mirrored by test/pipeline/penguins-accuracy.test.ts: features = the four
measurements (median imputation, standard scaling) and island, sex (most-frequent imputation,
one-hot); RandomForestClassifier with 100 trees, max_features="sqrt"; stratified 5-fold
cross-validation, repeated over seeds 0..4; mean of accuracy and macro F1 over all folds.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

here = os.path.dirname(os.path.abspath(__file__))
df = pd.read_csv(os.path.join(here, "penguins.csv"))
numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
categorical = ["island", "sex"]
X, y = df[numeric + categorical], df["species"]

pre = ColumnTransformer([
    ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
    ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                          OneHotEncoder(handle_unknown="ignore")), categorical),
])
acc, f1 = [], []
for seed in range(5):
    model = Pipeline([("pre", pre), ("rf", RandomForestClassifier(n_estimators=100, random_state=seed))])
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    scores = cross_validate(model, X, y, cv=cv, scoring=["accuracy", "f1_macro"])
    acc.extend(scores["test_accuracy"])
    f1.extend(scores["test_f1_macro"])

out = {
    "protocol": "stratified 5-fold CV x seeds 0..4, RandomForestClassifier(100), median/standard + most_frequent/one-hot",
    "sklearn": sklearn.__version__,
    "folds": len(acc),
    "accuracy": {"mean": float(np.mean(acc)), "std": float(np.std(acc))},
    "f1_macro": {"mean": float(np.mean(f1)), "std": float(np.std(f1))},
}
json.dump(out, open(os.path.join(here, "sklearn-reference.json"), "w"), indent=2)
json.dump(out, sys.stdout, indent=2)
