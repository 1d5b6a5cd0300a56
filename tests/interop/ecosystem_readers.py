"""Reads cutrain's event files and checkpoints with the ecosystem's own readers.

Usage: ecosystem_readers.py CUTRAIN_BINARY WORK_DIR

Trains the small CNN for a few steps on synthetic data with a validation split,
TensorBoard logs, a CSV log and a checkpoint, then:
- TensorBoard's EventAccumulator must find, in logdir/train and
  logdir/validation, the scalars our callback claims (Keras 3's TensorBoard:
  "epoch_<metric>" at step = epoch, validation logs without their "val_"
  prefix in the validation run), with the CSV log's values (float32); and,
  with --histogram-freq 1 --write-images, Keras 3's weight summaries in the
  training run: a histogram "<weight.path>/histogram" of every weight at
  step = epoch (its count, min and max those of the checkpoint's tensor) and
  an image "<weight.path>/image" (a PNG of the weight's squeezed shape) of
  the vector and matrix weights;
- safetensors.torch.load_file must read the checkpoint: every tensor the
  header names, with its shape and dtype, and values equal to the bytes the
  header points at.
Exits 77 (ctest SKIP_RETURN_CODE) when tensorboard or safetensors is missing.
"""
import csv
import json
import math
import os
import struct
import subprocess
import sys

try:
    import numpy as np
    from safetensors.torch import load_file
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
except ImportError as e:  # the venv of tools/setup.sh is missing
    print(f"SKIP: {e} (run tools/setup.sh to make the test venv)")
    sys.exit(77)

cutrain, work = sys.argv[1], sys.argv[2]
logdir, ckdir, csv_path = (os.path.join(work, p) for p in ("logs", "ckpt", "log.csv"))
subprocess.run([cutrain, "train", "--model", "small_cnn", "--dataset", "synthetic", "--image-size", "12",
                "--max-steps", "3", "--device", "cpu", "-v", "0", "--validation-split", "0.2",
                "--metrics", "accuracy,auc", "--logdir", logdir, "--checkpoint-dir", ckdir, "--csv", csv_path,
                "--histogram-freq", "1", "--write-images"],
               check=True)

with open(csv_path) as f:
    rows = list(csv.DictReader(f))
assert len(rows) == 1, rows
row = rows[0]


def scalar(acc, tag):
    tags = acc.Tags()
    if tag in tags.get("scalars", []):
        events = acc.Scalars(tag)
        return [(e.step, e.value) for e in events]
    if tag in tags.get("tensors", []):
        return [(e.step, float(np.asarray(e.tensor_proto.float_val or [struct.unpack("<f", e.tensor_proto.tensor_content)[0]])[0]))
                for e in acc.Tensors(tag)]
    raise AssertionError(f"{tag} not in {tags}")


for run, prefix in (("train", ""), ("validation", "val_")):
    acc = EventAccumulator(os.path.join(logdir, run))
    acc.Reload()
    for metric in ("loss", "accuracy", "auc"):
        got = scalar(acc, "epoch_" + metric)
        assert len(got) == 1 and got[0][0] == 0, (run, metric, got)
        want = float(row[prefix + metric])
        assert math.isclose(got[0][1], want, rel_tol=1e-6, abs_tol=1e-7), (run, metric, got, want)
    print(f"tensorboard {run}: {sorted(acc.Tags().get('scalars', []) + acc.Tags().get('tensors', []))}")

path = os.path.join(ckdir, "epoch-001.safetensors")
tensors = load_file(path)
with open(path, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    data = f.read()
header.pop("__metadata__", None)
assert set(tensors) == set(header), (sorted(tensors), sorted(header))
np_dtype = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64, "U8": np.uint8}
for name, info in header.items():
    t = tensors[name]
    assert list(t.shape) == info["shape"], (name, t.shape, info["shape"])
    lo, hi = info["data_offsets"]
    raw = np.frombuffer(data[lo:hi], dtype=np_dtype[info["dtype"]]).reshape(info["shape"])
    assert str(t.dtype).endswith({"F32": "float32", "F64": "float64", "I32": "int32", "I64": "int64",
                                  "U8": "uint8"}[info["dtype"]]), (name, t.dtype)
    assert np.array_equal(t.numpy(), raw), name
print(f"safetensors: {len(tensors)} tensors of {path} read")

# The checkpoint name of a graph name (nn/weight_name.cpp: PyTorch's names).
RENAME = {"weights": "weight", "biases": "bias", "gamma": "weight", "beta": "bias",
          "moving_mean": "running_mean", "moving_variance": "running_var"}


def checkpoint_name(graph_name):
    return ".".join(RENAME.get(p, p) for p in graph_name.split("/"))


acc = EventAccumulator(os.path.join(logdir, "train"), size_guidance={"histograms": 0, "images": 0})
acc.Reload()
histograms = [t for t in acc.Tags()["histograms"]]
weights = {n: t for n, t in tensors.items() if not n.startswith("optimizer.")}
assert histograms and all(t.endswith("/histogram") for t in histograms), histograms
assert sorted(checkpoint_name(t[: -len("/histogram")]) for t in histograms) == sorted(weights), (
    sorted(histograms), sorted(weights))
for tag in histograms:
    events = acc.Histograms(tag)
    assert [e.step for e in events] == [0], (tag, [e.step for e in events])
    h = events[0].histogram_value
    w = weights[checkpoint_name(tag[: -len("/histogram")])].double().numpy()
    assert h.num == w.size and h.min == w.min() and h.max == w.max(), (tag, h.num, h.min, h.max, w.shape)
    assert sum(h.bucket) == w.size, (tag, sum(h.bucket))
images = acc.Tags()["images"]
want_images = sorted(n for n, t in weights.items() if sum(d != 1 for d in t.shape) <= 2)
assert sorted(checkpoint_name(t[: -len("/image")]) for t in images) == want_images, (sorted(images), want_images)
for tag in images:
    (e,) = acc.Images(tag)
    w = weights[checkpoint_name(tag[: -len("/image")])]
    dims = [d for d in w.shape if d != 1] or [1]
    rows, cols = (dims[0], 1) if len(dims) == 1 else (min(dims), max(dims))
    assert e.step == 0 and (e.height, e.width) == (rows, cols), (tag, e.height, e.width, list(w.shape))
    assert e.encoded_image_string.startswith(b"\x89PNG"), tag
print(f"tensorboard train: {len(histograms)} weight histograms, {len(images)} weight images")
print("1 passed, 0 failed")
