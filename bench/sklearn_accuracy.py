"""scikit-learn's side of `npm run bench:accuracy` and test/pipeline/accuracy-parity.test.ts.

scikit-learn is a test oracle here, never a dependency. Run with Debian's python3-sklearn:

    /usr/bin/python3 bench/sklearn_accuracy.py --export
        loads the data sets from the packages that ship them, writes their rows, the split of
        every seed and scikit-learn's metrics to test/fixtures/accuracy/ (datasets.json,
        <name>.csv, sklearn.json)
    /usr/bin/python3 bench/sklearn_accuracy.py [--family forest|boosting] [NAME ...]
        scores the committed rows and splits again (of the named data sets, default all) and
        prints what sklearn.json would hold (the bench's live run; nothing is written)

Data sets: scikit-learn's bundled iris, wine, breast_cancer, digits and diabetes (unscaled),
and vega-datasets' penguins and cars (the npm package in node_modules). Rows are written as
shipped except: the target becomes class names (digits: "0".."9"), cars drops its `Name`
(a free-text label of 305 values, not a feature a user would keep), reads `Year` as the
year number and drops the rows without `Miles_per_Gallon` (the target), and exact duplicate
rows are dropped (Orchard's Preprocess would drop them, which would shift the row indices
of the splits). Missing cells stay empty.

Protocol, the same for both engines: seeds 0..4; per seed, the test rows are
train_test_split(test_size=0.2, random_state=seed), stratified by class for classification;
the preprocessing is fitted on the training rows only: numeric columns median-imputed and
standard-scaled, text columns most-frequent-imputed and one-hot encoded (unseen levels all
zeros), which is what a minimal Orchard spec gets by default; then RandomForestClassifier /
RandomForestRegressor with 100 trees and scikit-learn's defaults otherwise (max_features
"sqrt" / 1.0, grown to purity, bootstrap), random_state=seed, one thread. Metrics on the
test rows: accuracy and macro F1 (classification), RMSE (regression). The boosting family
(sklearn.json's "boosting", against Orchard's `model.type: gradient-boosting`) is the same
protocol with HistGradientBoostingClassifier / HistGradientBoostingRegressor at scikit-learn's
defaults (100 iterations, learning rate 0.1, 31 leaves, 20 rows per leaf; early stopping
"auto" is off below 10,000 rows, so on every data set here) instead of the forest.

A column is numeric when every non-missing cell reads as a number, else categorical, as
Orchard infers it; missing cells are "", NA, NaN and null, Orchard's default tokens.
"""

import json
import os
import re
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn import datasets as skdata
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "accuracy")
VEGA = os.path.join(ROOT, "node_modules", "vega-datasets", "data")
SEEDS = [0, 1, 2, 3, 4]
TEST_SIZE = 0.2
TREES = 100
MISSING = ["", "NA", "NaN", "null"]
PROTOCOL = (
    "seeds 0..4; per seed train_test_split(test_size=0.2, random_state=seed, stratified for "
    "classification); median imputation + standard scaling (numeric), most-frequent imputation "
    "+ one-hot (text), fitted on train; RandomForest(n_estimators=100, random_state=seed, "
    "n_jobs=1), other parameters default; accuracy and macro F1, or RMSE, on the test rows"
)
BOOSTING_PROTOCOL = (
    "as protocol, with HistGradientBoostingClassifier/Regressor(random_state=seed) at its "
    "defaults (max_iter 100, learning_rate 0.1, max_leaf_nodes 31, min_samples_leaf 20, "
    "early stopping auto: off below 10,000 rows) instead of the forest; OMP_NUM_THREADS=1"
)
FAMILIES = ["forest", "boosting"]


def sklearn_bundled(name, loader, task):
    bunch = loader(as_frame=True)
    frame = bunch.frame.copy()
    if task == "classification":
        names = [str(n) for n in bunch.target_names]
        frame["target"] = [names[int(c)] for c in frame["target"]]
    return frame, "target", f"scikit-learn {sklearn.__version__} datasets.{loader.__name__}"


def vega(name):
    return pd.read_json(os.path.join(VEGA, f"{name}.json"))


def load(name):
    """(rows, target column, task, source) for one data set, before duplicates are dropped."""
    if name == "iris":
        return (*sklearn_bundled(name, skdata.load_iris, "classification"), "classification")
    if name == "wine":
        return (*sklearn_bundled(name, skdata.load_wine, "classification"), "classification")
    if name == "breast_cancer":
        return (
            *sklearn_bundled(name, skdata.load_breast_cancer, "classification"),
            "classification",
        )
    if name == "digits":
        return (*sklearn_bundled(name, skdata.load_digits, "classification"), "classification")
    if name == "diabetes":
        bunch = skdata.load_diabetes(as_frame=True, scaled=False)
        source = f"scikit-learn {sklearn.__version__} datasets.load_diabetes(scaled=False)"
        return bunch.frame.copy(), "target", source, "regression"
    version = json.load(open(os.path.join(VEGA, "..", "package.json")))["version"]
    if name == "penguins":
        return vega("penguins"), "Species", f"vega-datasets {version} data/penguins.json", "classification"
    if name == "cars":
        cars = vega("cars").drop(columns=["Name"])
        cars["Year"] = pd.to_datetime(cars["Year"]).dt.year
        cars = cars[cars["Miles_per_Gallon"].notna()]
        source = f"vega-datasets {version} data/cars.json (Name dropped, Year as a number, rows without the target dropped)"
        return cars, "Miles_per_Gallon", source, "regression"
    raise ValueError(name)


NAMES = ["iris", "wine", "breast_cancer", "digits", "penguins", "diabetes", "cars"]


def compact_numbers(frame):
    """Whole-number float columns as integers (`3` rather than `3.0`), missing kept empty."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if values.dtype.kind == "f" and np.all(np.mod(values.dropna(), 1) == 0):
            out[col] = values.astype("Int64")
    return out


def read_rows(name):
    return pd.read_csv(
        os.path.join(OUT, f"{name}.csv"), keep_default_na=False, na_values=MISSING
    )


def column_kinds(frame, target):
    features = [c for c in frame.columns if c != target]
    numeric = [c for c in features if frame[c].dtype.kind in "if"]
    categorical = [c for c in features if c not in numeric]
    return numeric, categorical


def split(y, task, seed):
    rows = np.arange(len(y))
    _, test = train_test_split(
        rows,
        test_size=TEST_SIZE,
        random_state=seed,
        stratify=y if task == "classification" else None,
    )
    return sorted(int(i) for i in test)


def model(task, numeric, categorical, seed, family="forest"):
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ]
    )
    if family == "boosting":
        learner = (
            HistGradientBoostingClassifier(random_state=seed)
            if task == "classification"
            else HistGradientBoostingRegressor(random_state=seed)
        )
    else:
        learner = (
            RandomForestClassifier(n_estimators=TREES, random_state=seed, n_jobs=1)
            if task == "classification"
            else RandomForestRegressor(n_estimators=TREES, random_state=seed, n_jobs=1)
        )
    return Pipeline([("pre", pre), (family, learner)])


def score(entry, family="forest"):
    frame = read_rows(entry["name"])
    target, task = entry["target"], entry["task"]
    numeric, categorical = entry["numeric"], entry["categorical"]
    y = frame[target].astype(str) if task == "classification" else frame[target]
    X = frame[numeric + categorical]
    metrics = {"accuracy": [], "f1_macro": []} if task == "classification" else {"rmse": []}
    for seed, test in zip(entry["seeds"], entry["test"]):
        test_mask = np.zeros(len(frame), dtype=bool)
        test_mask[test] = True
        fitted = model(task, numeric, categorical, seed, family).fit(X[~test_mask], y[~test_mask])
        predicted = fitted.predict(X[test_mask])
        truth = y[test_mask]
        if task == "classification":
            metrics["accuracy"].append(float(accuracy_score(truth, predicted)))
            metrics["f1_macro"].append(float(f1_score(truth, predicted, average="macro")))
        else:
            metrics["rmse"].append(float(np.sqrt(mean_squared_error(truth, predicted))))
    return metrics


def sklearn_results(manifest, families=FAMILIES):
    out = {"sklearn": sklearn.__version__, "protocol": PROTOCOL}
    if "forest" in families:
        out["datasets"] = {entry["name"]: score(entry) for entry in manifest}
    if "boosting" in families:
        out["boostingProtocol"] = BOOSTING_PROTOCOL
        out["boosting"] = {entry["name"]: score(entry, "boosting") for entry in manifest}
    return out


def export():
    os.makedirs(OUT, exist_ok=True)
    manifest = []
    for name in NAMES:
        frame, target, source, task = load(name)
        before = len(frame)
        frame = frame.drop_duplicates().reset_index(drop=True)
        compact_numbers(frame).to_csv(os.path.join(OUT, f"{name}.csv"), index=False, na_rep="")
        rows = read_rows(name)  # split and kinds from the file both engines read
        numeric, categorical = column_kinds(rows, target)
        y = rows[target].astype(str) if task == "classification" else rows[target]
        manifest.append(
            {
                "name": name,
                "file": f"{name}.csv",
                "source": source,
                "task": task,
                "target": target,
                "rows": len(rows),
                "duplicatesDropped": before - len(frame),
                "numeric": numeric,
                "categorical": categorical,
                "seeds": SEEDS,
                "test": [split(y, task, seed) for seed in SEEDS],
            }
        )
        print(f"{name}: {len(rows)} rows, {len(numeric)} numeric, {len(categorical)} text", file=sys.stderr)
    write_json(os.path.join(OUT, "datasets.json"), manifest)
    write_json(os.path.join(OUT, "sklearn.json"), sklearn_results(manifest))


def write_json(path, value):
    """Indented JSON with number lists on one line each, so the fixtures diff by line."""
    text = json.dumps(value, indent=2)
    text = collapse_number_lists(text)
    with open(path, "w") as out:
        out.write(text + "\n")


def collapse_number_lists(text):
    pattern = re.compile(r"\[\s*(-?[0-9.e+-]+(?:,\s*-?[0-9.e+-]+)*)\s*\]")
    return pattern.sub(lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)


def main():
    if sys.argv[1:] == ["--export"]:
        export()
        return
    manifest = json.load(open(os.path.join(OUT, "datasets.json")))
    args = sys.argv[1:]
    families = FAMILIES
    if args[:1] == ["--family"] and len(args) > 1 and args[1] in FAMILIES:
        families, args = [args[1]], args[2:]
    names = args
    unknown = [n for n in names if n not in [entry["name"] for entry in manifest]]
    if unknown:
        sys.exit(
            f"usage: sklearn_accuracy.py [--export | [--family forest|boosting] NAME ...]; unknown data set {unknown}"
        )
    if names:
        manifest = [entry for entry in manifest if entry["name"] in names]
    json.dump(sklearn_results(manifest, families), sys.stdout)
    print()


if __name__ == "__main__":
    main()
