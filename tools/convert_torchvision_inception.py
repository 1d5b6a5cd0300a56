#!/usr/bin/env python3
"""Convert torchvision's Inception V3 state_dict to cutrain's slim-style safetensors.

    python3 tools/convert_torchvision_inception.py --out inception_v3.safetensors
        [--state-dict model.pt] [--seed 0] [--num-classes 1000] [--prefix InceptionV3/]
        [--logits conv|dense] [--no-aux] [--reference N,SIZE] [--names dotted|slim]

Without --state-dict the weights are torchvision's random initialisation
(`inception_v3(weights=None, aux_logits=True, init_weights=True)`, seeded);
nothing is downloaded. With it, a saved state_dict (torch.save) is converted.

Layouts: conv weights OIHW -> OHWI; activations (reference input/output) NHWC.
The classifier `Linear(in, N)` becomes, with --logits conv (default, slim's
1x1 conv), weights [N, 1, 1, in] and biases [N]; with --logits dense, weights
[N, in] (cutrain's dense layout, y = x W^T + b, i.e. torch's layout unchanged).
num_batches_tracked is dropped. Every tensor is written float32.

Names: by default the file uses cutrain's one naming scheme, the one of its
checkpoints, nn::load_weights and `cutrain train --init-from`: the slim scope
with '/' as '.' and PyTorch's leaf names (weights -> weight, biases -> bias,
gamma -> weight, beta -> bias, moving_mean -> running_mean, moving_variance ->
running_var), e.g. InceptionV3.Mixed_5b.Branch_1.Conv2d_0a_1x1.weight.
--names slim keeps the slim scope names of the table below (which cutrain
also reads, through the same mapping).

--reference N,SIZE also stores `reference/input` (N x SIZE x SIZE x 3, uniform
in [-1, 1], NHWC) and `reference/logits` ([N, classes]): torchvision's eval
forward with transform_input=False, the golden forward for a cutrain model
built with gamma in batch norm, epsilon 0.001 and include-pad 3x3 average pools.

Name mapping (torchvision module path -> slim scope under PREFIX; every
BasicConv2d X maps to X.conv.weight -> SCOPE/weights and X.bn.{weight, bias,
running_mean, running_var} -> SCOPE/BatchNorm/{gamma, beta, moving_mean,
moving_variance}):

  stem          Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3, Conv2d_3b_1x1, Conv2d_4a_3x3
                (same names; torchvision uses slim's)
  InceptionA    branch1x1        -> Branch_0/Conv2d_0a_1x1
  (Mixed_5b,    branch5x5_1      -> Branch_1/Conv2d_0a_1x1   (Mixed_5c: Conv2d_0b_1x1)
   5c, 5d)      branch5x5_2      -> Branch_1/Conv2d_0b_5x5   (Mixed_5c: Conv_1_0c_5x5)
                branch3x3dbl_1   -> Branch_2/Conv2d_0a_1x1
                branch3x3dbl_2   -> Branch_2/Conv2d_0b_3x3
                branch3x3dbl_3   -> Branch_2/Conv2d_0c_3x3
                branch_pool      -> Branch_3/Conv2d_0b_1x1
  InceptionB    branch3x3        -> Branch_0/Conv2d_1a_1x1   (a 3x3 /2: slim's name)
  (Mixed_6a)    branch3x3dbl_1   -> Branch_1/Conv2d_0a_1x1
                branch3x3dbl_2   -> Branch_1/Conv2d_0b_3x3
                branch3x3dbl_3   -> Branch_1/Conv2d_1a_1x1   (a 3x3 /2)
  InceptionC    branch1x1        -> Branch_0/Conv2d_0a_1x1
  (Mixed_6b-6e) branch7x7_1      -> Branch_1/Conv2d_0a_1x1
                branch7x7_2      -> Branch_1/Conv2d_0b_1x7
                branch7x7_3      -> Branch_1/Conv2d_0c_7x1
                branch7x7dbl_1   -> Branch_2/Conv2d_0a_1x1
                branch7x7dbl_2   -> Branch_2/Conv2d_0b_7x1
                branch7x7dbl_3   -> Branch_2/Conv2d_0c_1x7
                branch7x7dbl_4   -> Branch_2/Conv2d_0d_7x1
                branch7x7dbl_5   -> Branch_2/Conv2d_0e_1x7
                branch_pool      -> Branch_3/Conv2d_0b_1x1
  InceptionD    branch3x3_1      -> Branch_0/Conv2d_0a_1x1
  (Mixed_7a)    branch3x3_2      -> Branch_0/Conv2d_1a_3x3
                branch7x7x3_1    -> Branch_1/Conv2d_0a_1x1
                branch7x7x3_2    -> Branch_1/Conv2d_0b_1x7
                branch7x7x3_3    -> Branch_1/Conv2d_0c_7x1
                branch7x7x3_4    -> Branch_1/Conv2d_1a_3x3
  InceptionE    branch1x1        -> Branch_0/Conv2d_0a_1x1
  (Mixed_7b,    branch3x3_1      -> Branch_1/Conv2d_0a_1x1
   7c)          branch3x3_2a     -> Branch_1/Conv2d_0b_1x3
                branch3x3_2b     -> Branch_1/Conv2d_0b_3x1   (Mixed_7c: Conv2d_0c_3x1)
                branch3x3dbl_1   -> Branch_2/Conv2d_0a_1x1
                branch3x3dbl_2   -> Branch_2/Conv2d_0b_3x3
                branch3x3dbl_3a  -> Branch_2/Conv2d_0c_1x3
                branch3x3dbl_3b  -> Branch_2/Conv2d_0d_3x1
                branch_pool      -> Branch_3/Conv2d_0b_1x1
  InceptionAux  conv0            -> AuxLogits/Conv2d_1b_1x1
  (AuxLogits)   conv1            -> AuxLogits/Conv2d_2a_5x5
                fc               -> AuxLogits/Conv2d_2b_1x1/{weights, biases}
  Linear        fc               -> Logits/Conv2d_1c_1x1/{weights, biases}
"""

import argparse
import json
import os
import struct
import sys

# torchvision sub-module name -> slim scope, per block type.
INCEPTION_A = {
    "branch1x1": "Branch_0/Conv2d_0a_1x1",
    "branch5x5_1": "Branch_1/Conv2d_0a_1x1",
    "branch5x5_2": "Branch_1/Conv2d_0b_5x5",
    "branch3x3dbl_1": "Branch_2/Conv2d_0a_1x1",
    "branch3x3dbl_2": "Branch_2/Conv2d_0b_3x3",
    "branch3x3dbl_3": "Branch_2/Conv2d_0c_3x3",
    "branch_pool": "Branch_3/Conv2d_0b_1x1",
}
# slim's scope-name quirk in Mixed_5c's 5x5 branch.
INCEPTION_A_5C = dict(INCEPTION_A, branch5x5_1="Branch_1/Conv2d_0b_1x1", branch5x5_2="Branch_1/Conv_1_0c_5x5")
INCEPTION_B = {
    "branch3x3": "Branch_0/Conv2d_1a_1x1",
    "branch3x3dbl_1": "Branch_1/Conv2d_0a_1x1",
    "branch3x3dbl_2": "Branch_1/Conv2d_0b_3x3",
    "branch3x3dbl_3": "Branch_1/Conv2d_1a_1x1",
}
INCEPTION_C = {
    "branch1x1": "Branch_0/Conv2d_0a_1x1",
    "branch7x7_1": "Branch_1/Conv2d_0a_1x1",
    "branch7x7_2": "Branch_1/Conv2d_0b_1x7",
    "branch7x7_3": "Branch_1/Conv2d_0c_7x1",
    "branch7x7dbl_1": "Branch_2/Conv2d_0a_1x1",
    "branch7x7dbl_2": "Branch_2/Conv2d_0b_7x1",
    "branch7x7dbl_3": "Branch_2/Conv2d_0c_1x7",
    "branch7x7dbl_4": "Branch_2/Conv2d_0d_7x1",
    "branch7x7dbl_5": "Branch_2/Conv2d_0e_1x7",
    "branch_pool": "Branch_3/Conv2d_0b_1x1",
}
INCEPTION_D = {
    "branch3x3_1": "Branch_0/Conv2d_0a_1x1",
    "branch3x3_2": "Branch_0/Conv2d_1a_3x3",
    "branch7x7x3_1": "Branch_1/Conv2d_0a_1x1",
    "branch7x7x3_2": "Branch_1/Conv2d_0b_1x7",
    "branch7x7x3_3": "Branch_1/Conv2d_0c_7x1",
    "branch7x7x3_4": "Branch_1/Conv2d_1a_3x3",
}
INCEPTION_E = {
    "branch1x1": "Branch_0/Conv2d_0a_1x1",
    "branch3x3_1": "Branch_1/Conv2d_0a_1x1",
    "branch3x3_2a": "Branch_1/Conv2d_0b_1x3",
    "branch3x3_2b": "Branch_1/Conv2d_0b_3x1",
    "branch3x3dbl_1": "Branch_2/Conv2d_0a_1x1",
    "branch3x3dbl_2": "Branch_2/Conv2d_0b_3x3",
    "branch3x3dbl_3a": "Branch_2/Conv2d_0c_1x3",
    "branch3x3dbl_3b": "Branch_2/Conv2d_0d_3x1",
    "branch_pool": "Branch_3/Conv2d_0b_1x1",
}
INCEPTION_E_7C = dict(INCEPTION_E, branch3x3_2b="Branch_1/Conv2d_0c_3x1")
AUX = {"conv0": "AuxLogits/Conv2d_1b_1x1", "conv1": "AuxLogits/Conv2d_2a_5x5"}

BLOCKS = {
    "Mixed_5b": INCEPTION_A, "Mixed_5c": INCEPTION_A_5C, "Mixed_5d": INCEPTION_A,
    "Mixed_6a": INCEPTION_B,
    "Mixed_6b": INCEPTION_C, "Mixed_6c": INCEPTION_C, "Mixed_6d": INCEPTION_C, "Mixed_6e": INCEPTION_C,
    "Mixed_7a": INCEPTION_D,
    "Mixed_7b": INCEPTION_E, "Mixed_7c": INCEPTION_E_7C,
}
STEM = ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "Conv2d_3b_1x1", "Conv2d_4a_3x3"]
BN_NAMES = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_variance"}
CLASSIFIERS = {"fc": "Logits/Conv2d_1c_1x1", "AuxLogits.fc": "AuxLogits/Conv2d_2b_1x1"}


def conv_scopes():
    """torchvision BasicConv2d module path -> slim scope (without prefix)."""
    scopes = {name: name for name in STEM}
    for block, table in BLOCKS.items():
        for module, scope in table.items():
            scopes[f"{block}.{module}"] = f"{block}/{scope}"
    for module, scope in AUX.items():
        scopes[f"AuxLogits.{module}"] = scope
    return scopes


def convert(state_dict, prefix="InceptionV3/", logits="conv", dtype=None):
    """Returns {cutrain name: tensor} (float32 unless `dtype` is given) and
    raises on any unmapped key. Also maps gradients keyed like the state_dict."""
    import torch

    scopes = conv_scopes()
    out = {}
    used = set()
    for key, value in state_dict.items():
        if key.endswith("num_batches_tracked"):
            used.add(key)
            continue
        module, _, leaf = key.rpartition(".")
        if module.endswith(".conv") and module[: -len(".conv")] in scopes and leaf == "weight":
            out[prefix + scopes[module[: -len(".conv")]] + "/weights"] = value.permute(0, 2, 3, 1)
        elif module.endswith(".bn") and module[: -len(".bn")] in scopes and leaf in BN_NAMES:
            out[prefix + scopes[module[: -len(".bn")]] + "/BatchNorm/" + BN_NAMES[leaf]] = value
        elif module in CLASSIFIERS and leaf in ("weight", "bias"):
            name = prefix + CLASSIFIERS[module]
            if leaf == "bias":
                out[name + "/biases"] = value
            elif logits == "conv":
                out[name + "/weights"] = value.reshape(value.shape[0], 1, 1, value.shape[1])
            else:
                out[name + "/weights"] = value
        else:
            raise KeyError(f"no cutrain name for torchvision key '{key}'")
        used.add(key)
    missing = set(state_dict) - used
    if missing:
        raise KeyError(f"unconverted keys: {sorted(missing)}")
    return {k: v.detach().to(dtype or torch.float32).contiguous() for k, v in out.items()}


# ---------------------------------------------------------------- safetensors

DTYPE_NAMES = {"torch.float64": "F64", "torch.float32": "F32", "torch.bfloat16": "BF16", "torch.float16": "F16",
               "torch.int64": "I64"}


def tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    try:
        return t.numpy().tobytes()
    except Exception:  # noqa: BLE001 - numpy missing: slower byte view
        import torch
        return bytes(t.reshape(-1).view(torch.uint8).tolist())


def write_safetensors(path, tensors, metadata=None):
    """The format by hand: 8-byte little-endian header size, JSON header
    (padded with spaces so data starts 8-aligned), then the data buffer."""
    header = {}
    offset = 0
    order = sorted(tensors)
    sizes = []
    for name in order:
        t = tensors[name]
        dtype = DTYPE_NAMES.get(str(t.dtype))
        if dtype is None:
            raise ValueError(f"{name}: unsupported dtype {t.dtype}")
        size = t.numel() * t.element_size()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + size]}
        sizes.append(size)
        offset += size
    meta = {"format": "pt"}
    meta.update({k: str(v) for k, v in (metadata or {}).items()})
    header["__metadata__"] = meta
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name, size in zip(order, sizes):
            data = tensor_bytes(tensors[name])
            assert len(data) == size, name
            f.write(data)
    os.replace(tmp, path)


SLIM_TO_TORCH_LEAF = {"weights": "weight", "biases": "bias", "gamma": "weight", "beta": "bias",
                      "moving_mean": "running_mean", "moving_variance": "running_var"}


def dotted_name(slim_name):
    """cutrain's weight name of a slim scope name (nn::weight_name)."""
    return ".".join(SLIM_TO_TORCH_LEAF.get(part, part) for part in slim_name.split("/"))


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--state-dict", help="a torch.save'd torchvision inception_v3 state_dict")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--num-classes", type=int, default=1000)
    ap.add_argument("--prefix", default="InceptionV3/")
    ap.add_argument("--logits", choices=["conv", "dense"], default="conv")
    ap.add_argument("--no-aux", action="store_true", help="leave the AuxLogits head out")
    ap.add_argument("--reference", help="N,SIZE: also store an input batch and torchvision's eval logits")
    ap.add_argument("--names", choices=["dotted", "slim"], default="dotted",
                    help="weight names: cutrain's checkpoint names (default) or slim scope names")
    ap.add_argument("--dtype", choices=["f32", "bf16", "f16"], default="f32",
                    help="stored dtype of the weights (cutrain train --init-from casts to the model's)")
    args = ap.parse_args()

    try:
        import torch
        import torchvision
    except Exception as e:  # noqa: BLE001
        print(f"torch/torchvision not importable by {sys.executable}: {e}", file=sys.stderr)
        return 3

    torch.manual_seed(args.seed)
    model = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=True,
                                            num_classes=args.num_classes, transform_input=False)
    if args.state_dict:
        model.load_state_dict(torch.load(args.state_dict, map_location="cpu"))
    state = model.state_dict()
    if args.no_aux:
        state = {k: v for k, v in state.items() if not k.startswith("AuxLogits.")}
    dtype = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[args.dtype]
    tensors = convert(state, args.prefix, args.logits, dtype)
    if args.names == "dotted":
        tensors = {dotted_name(k): v for k, v in tensors.items()}
    meta = {"source": "torchvision.models.inception_v3", "torchvision_version": torchvision.__version__,
            "seed": args.seed if not args.state_dict else "", "num_classes": args.num_classes,
            "logits": args.logits, "batch_norm": "gamma, epsilon 0.001", "avg_pool": "count_include_pad",
            "names": args.names}
    if args.reference:
        n, size = (int(x) for x in args.reference.split(","))
        model.eval()
        x = torch.rand(n, 3, size, size) * 2 - 1
        with torch.no_grad():
            logits = model(x)
        tensors["reference/input"] = x.permute(0, 2, 3, 1).contiguous()
        tensors["reference/logits"] = logits.contiguous()
    write_safetensors(args.out, tensors, meta)
    params = sum(t.numel() for k, t in tensors.items()
                 if not k.startswith("reference/")
                 and not k.endswith(("moving_mean", "moving_variance", "running_mean", "running_var")))
    print(f"wrote {args.out}: {len(tensors)} tensors, {params} trainable parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
