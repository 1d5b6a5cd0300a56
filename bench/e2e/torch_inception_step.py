#!/usr/bin/env python3
"""PyTorch's torchvision inception_v3 training step, measured the same way as
bench/e2e/inception_step_bench.cpp (forward, cross-entropy + 0.4 aux,
backward, SGD momentum), for a side-by-side ratio in the same run.

Usage: torch_inception_step.py --device cpu|cuda --batch N --size S [--tf32] [--channels-last]
       [--amp bf16|fp16] [--compile] [--steps K]

--amp runs the forward pass and the loss under torch.autocast (PyTorch AMP: fp32
parameters and optimizer, low-precision convolutions and matrix products); fp16
adds a GradScaler, as PyTorch recommends for it.
"""
import argparse
import statistics
import time

import torch
import torchvision

p = argparse.ArgumentParser()
p.add_argument("--device", default="cpu")
p.add_argument("--batch", type=int, default=8)
p.add_argument("--size", type=int, default=299)
p.add_argument("--tf32", action="store_true")
p.add_argument("--channels-last", action="store_true")
p.add_argument("--amp", choices=["bf16", "fp16"], default=None)
p.add_argument("--compile", action="store_true")
p.add_argument("--steps", type=int, default=10)
a = p.parse_args()

torch.backends.cuda.matmul.allow_tf32 = a.tf32
torch.backends.cudnn.allow_tf32 = a.tf32
torch.backends.cudnn.benchmark = True
aux = a.size >= 107  # torchvision's aux head needs the same minimum size as slim's (stride arithmetic)
model = torchvision.models.inception_v3(weights=None, aux_logits=aux, init_weights=False, num_classes=1001)
model.train().to(a.device)
mem_format = torch.channels_last if a.channels_last else torch.contiguous_format
model = model.to(memory_format=mem_format)
step_model = torch.compile(model) if a.compile else model
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x = torch.rand(a.batch, 3, a.size, a.size, device=a.device).mul_(2).sub_(1).to(memory_format=mem_format)
y = torch.randint(0, 1001, (a.batch,), device=a.device)


amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(a.amp)
device_type = "cuda" if a.device.startswith("cuda") else "cpu"
if a.amp != "fp16":
    scaler = None
elif hasattr(torch.amp, "GradScaler"):  # torch >= 2.3
    scaler = torch.amp.GradScaler("cuda")
else:
    scaler = torch.cuda.amp.GradScaler()


def forward_loss():
    out = step_model(x)
    if isinstance(out, tuple) or hasattr(out, "aux_logits"):
        logits, aux_logits = out[0], out[1]
        return torch.nn.functional.cross_entropy(logits, y) + 0.4 * torch.nn.functional.cross_entropy(aux_logits, y)
    return torch.nn.functional.cross_entropy(out, y)


def step():
    opt.zero_grad(set_to_none=True)
    if amp_dtype is None:
        loss = forward_loss()
    else:
        with torch.autocast(device_type=device_type, dtype=amp_dtype):
            loss = forward_loss()
    if scaler is None:
        loss.backward()
        opt.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    return loss


def sync():
    if a.device.startswith("cuda"):
        torch.cuda.synchronize()


for _ in range(3):
    step()
sync()
times = []
for _ in range(a.steps):
    t0 = time.perf_counter()
    step()
    sync()
    times.append(time.perf_counter() - t0)
med = statistics.median(times)
peak = torch.cuda.max_memory_allocated() / 2**30 if a.device.startswith("cuda") else float("nan")
print(f"torch {torch.__version__} inception_v3 train step: device {a.device} batch {a.batch} size {a.size} "
      f"tf32={a.tf32} channels_last={a.channels_last} amp={a.amp} compile={a.compile}: median {med*1e3:.1f} ms, "
      f"{a.batch/med:.1f} img/s, peak memory {peak:.2f} GiB")
