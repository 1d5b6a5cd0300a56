#!/bin/sh
# Usage: cli_fine_tune.sh CUTRAIN WORKDIR
# Pre-trains a small CNN for a few steps, then starts a new run from its
# checkpoint with the first conv block frozen; a wrong file is refused with
# exit code 2 and a report naming the tensors. About 10 s on 2 cores.
set -u
cli=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir"
common="--model small_cnn --dataset synthetic --image-size 16 --batch-size 16 --epochs 1 --max-steps 3 -v 0 --threads 2 --device cpu --no-test"
fail() { echo "FAIL: $*"; exit 1; }

$cli train $common --checkpoint-dir "$dir/pre" > "$dir/pre.log" 2>&1 || { cat "$dir/pre.log"; fail "pre-training"; }
ckpt="$dir/pre/epoch-001.safetensors"
[ -f "$ckpt" ] || fail "no checkpoint $ckpt"

out=$($cli train $common --init-from "$ckpt" --freeze '^Conv2d_1\.' 2>&1) || { echo "$out"; fail "fine-tuning run"; }
echo "$out"
case "$out" in *"initialized 14 of 14 weights from '$ckpt'"*) ;; *) fail "no initialisation report" ;; esac
case "$out" in *"freezing 2 parameters matching '^Conv2d_1\.' (1 batch norms in inference mode)"*) ;; *) fail "no freeze report" ;; esac
case "$out" in *"trained 3 steps"*) ;; *) fail "did not train" ;; esac

out=$($cli train $common --init-from "$ckpt" --freeze '^NoSuchLayer' 2>&1); rc=$?
echo "$out"
[ "$rc" -eq 2 ] || fail "--freeze matching nothing: exit code $rc, expected 2"
case "$out" in *"matches no trainable parameter"*) ;; *) fail "no freeze error" ;; esac

# A file of another network: the report names the mismatched tensors.
python3 - "$ckpt" "$dir/wrong.safetensors" <<'PY' || fail "could not write the wrong file"
import json, struct, sys
src, dst = sys.argv[1], sys.argv[2]
with open(src, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    data = f.read()
# Two tensors renamed: missing and unexpected entries.
header["Other.weight"] = header.pop("Conv2d_2.weight")
header["Extra.weight"] = header.pop("Conv2d_3.weight")
text = json.dumps(header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
with open(dst, "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + data)
PY
out=$($cli train $common --init-from "$dir/wrong.safetensors" 2>&1); rc=$?
echo "$out"
[ "$rc" -eq 2 ] || fail "wrong file: exit code $rc, expected 2"
case "$out" in *"missing (2): Conv2d_2.weight, Conv2d_3.weight"*"unexpected (2): Extra.weight, Other.weight"*) ;; *) fail "no report" ;; esac
echo "PASS"
