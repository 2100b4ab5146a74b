"""A team's own trainer for Orchard's `model.type: custom` (docs/custom-training.md).

Reads the prepared matrices Orchard wrote (ORCHARD_TRAIN_URI, ORCHARD_TEST_URI: CSV, the
features then the target; ORCHARD_SCHEMA_URI: schema.json), fits a scikit-learn random
forest, and writes it as ONNX (an ai.onnx.ml TreeEnsembleClassifier or TreeEnsembleRegressor
built with the `onnx` package's helpers: Debian has python3-onnx but no skl2onnx) to
ORCHARD_MODEL_URI, and its test metrics to ORCHARD_METRICS_URI. URIs are file:// when
`orchard run` runs this as a process, s3:// in the Fargate task (read and written with boto3).

    python3 train.py            # with the ORCHARD_* variables set, as Orchard runs it
"""

import csv
import io
import json
import os
import sys
from urllib.parse import unquote, urlparse

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error


def read(uri):
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        with open(unquote(parsed.path), "rb") as f:
            return f.read()
    if parsed.scheme == "s3":
        import boto3  # only in the image: a local run gets file:// URIs

        obj = boto3.client("s3").get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))
        return obj["Body"].read()
    sys.exit(f"train.py: cannot read {uri}: use file:// or s3://")


def write(uri, data):
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        with open(unquote(parsed.path), "wb") as f:
            f.write(data)
        return
    if parsed.scheme == "s3":
        import boto3

        boto3.client("s3").put_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"), Body=data)
        return
    sys.exit(f"train.py: cannot write {uri}: use file:// or s3://")


def read_matrix(uri, schema):
    rows = list(csv.reader(io.StringIO(read(uri).decode("utf-8"))))
    header, body = rows[0], rows[1:]
    if header != schema["features"] + [schema["target"]]:
        sys.exit("train.py: the CSV header is not schema.json's features then its target")
    values = np.array([[float(v) for v in row] for row in body], dtype=np.float64)
    # The ONNX operator compares float32 features with float32 thresholds: fit on float32 too,
    # so scikit-learn's thresholds and onnxruntime's (or Orchard's) comparisons agree.
    X = values[:, :-1].astype(np.float32)
    y = values[:, -1]
    return X, (y.astype(np.int64) if schema["task"] == "classification" else y)


def float32_at_most(threshold):
    """The largest float32 <= a float64 threshold. scikit-learn splits float32 features at
    float64 midpoints; ONNX stores float32 thresholds. Rounded to nearest, a midpoint can round
    up onto the next feature value, which would then go left in ONNX and right in scikit-learn;
    rounded down, `x <= t` holds for exactly the same float32 x."""
    t = np.float32(threshold)
    return float(np.nextafter(t, np.float32(-np.inf)) if t > threshold else t)


def tree_ensemble(model, schema):
    """The fitted forest as one ai.onnx.ml tree-ensemble node reading X [N, features]."""
    classifier = schema["task"] == "classification"
    prefix = "class" if classifier else "target"
    a = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values",
                         "nodes_modes", "nodes_truenodeids", "nodes_falsenodeids",
                         f"{prefix}_treeids", f"{prefix}_nodeids", f"{prefix}_ids",
                         f"{prefix}_weights"]}
    trees = len(model.estimators_)
    for t, estimator in enumerate(model.estimators_):
        tree = estimator.tree_
        for i in range(tree.node_count):
            leaf = tree.children_left[i] == -1
            a["nodes_treeids"].append(t)
            a["nodes_nodeids"].append(i)
            a["nodes_featureids"].append(0 if leaf else int(tree.feature[i]))
            a["nodes_values"].append(0.0 if leaf else float32_at_most(tree.threshold[i]))
            a["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            a["nodes_truenodeids"].append(0 if leaf else int(tree.children_left[i]))
            a["nodes_falsenodeids"].append(0 if leaf else int(tree.children_right[i]))
            if not leaf:
                continue
            # A forest averages its trees: each leaf contributes its value / trees.
            value = tree.value[i][0]
            outputs = value / value.sum() if classifier else value
            for k, v in enumerate(outputs):
                a[f"{prefix}_treeids"].append(t)
                a[f"{prefix}_nodeids"].append(i)
                a[f"{prefix}_ids"].append(k)
                a[f"{prefix}_weights"].append(float(v) / trees)
    width = len(schema["features"])
    X = helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, width])
    if classifier:
        k = len(schema["classes"])
        node = helper.make_node(
            "TreeEnsembleClassifier", ["X"], ["label", "probabilities"], domain="ai.onnx.ml",
            classlabels_int64s=[int(c) for c in model.classes_], post_transform="NONE", **a)
        outputs = [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
                   helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, k])]
    else:
        node = helper.make_node(
            "TreeEnsembleRegressor", ["X"], ["variable"], domain="ai.onnx.ml",
            n_targets=1, aggregate_function="SUM", post_transform="NONE", **a)
        outputs = [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])]
    graph = helper.make_graph([node], "orchard_custom_forest", [X], outputs)
    onnx_model = helper.make_model(
        graph, producer_name="orchard-example-train.py",
        opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 3)])
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model)
    return onnx_model.SerializeToString()


def fit(X, y, schema, seed):
    """The model: the same for the same rows and seed (one job, a seeded forest)."""
    classifier = schema["task"] == "classification"
    Model = RandomForestClassifier if classifier else RandomForestRegressor
    model = Model(n_estimators=50, max_depth=8, random_state=seed, n_jobs=1).fit(X, y)
    if classifier and list(model.classes_) != list(range(len(schema["classes"]))):
        # A class absent from the training rows would shift the probability columns.
        sys.exit("train.py: every class must have training rows")
    return model


def main():
    schema = json.loads(read(os.environ["ORCHARD_SCHEMA_URI"]))
    if schema["format"] != "orchard-custom-training/1":
        sys.exit(f"train.py: schema.json format {schema['format']} is not one this trainer reads")
    X, y = read_matrix(os.environ["ORCHARD_TRAIN_URI"], schema)
    X_test, y_test = read_matrix(os.environ["ORCHARD_TEST_URI"], schema)
    model = fit(X, y, schema, int(os.environ.get("ORCHARD_SEED", "0")))
    if schema["task"] == "classification":
        predicted = model.predict(X_test)
        metrics = {"accuracy": accuracy_score(y_test, predicted),
                   "f1_macro": f1_score(y_test, predicted, average="macro")}
    else:
        metrics = {"rmse": float(np.sqrt(mean_squared_error(y_test, model.predict(X_test))))}
    write(os.environ["ORCHARD_MODEL_URI"], tree_ensemble(model, schema))
    write(os.environ["ORCHARD_METRICS_URI"], json.dumps(metrics).encode("utf-8"))
    print(f"train.py: trained {len(model.estimators_)} trees on {len(y)} rows: {metrics}")


if __name__ == "__main__":
    main()
