#!/usr/bin/env python3
"""PyTorch's CPU convolution on the shapes of bench/conv_cpu_bench.cpp.

Times torch.nn.functional.conv2d (NCHW, float, batch 8 by default) on every
distinct Inception V3 convolution listed in conv_cpu_bench.cpp (the table is
read from that file, so both benchmarks time the same shapes) and prints the
network total: each shape once, weighted by its number of uses, aux head left
out. With --cutrain PATH it also runs the cutrain benchmark binary and prints
both totals side by side.

  /usr/bin/python3 bench/conv_cpu_torch.py --cutrain build/bench/conv_cpu_bench
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

ROW = re.compile(
    r'\{"([^"]+)",\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+),\s*"(SAME|VALID)",'
    r'\s*(\d+),\s*(true|false),\s*(\d+),\s*(true|false)\}')


def read_table(path):
    rows = []
    for m in ROW.finditer(open(path).read()):
        name, h, w, c, kh, kw, s, pad, o, bias, uses, aux = m.groups()
        rows.append(dict(name=name, h=int(h), w=int(w), c=int(c), kh=int(kh), kw=int(kw), stride=int(s),
                         padding=pad, o=int(o), bias=bias == "true", uses=int(uses), aux=aux == "true"))
    if not rows:
        sys.exit(f"no convolution table found in {path}")
    return rows


def out_size(n, k, s, padding):
    return -(-n // s) if padding == "SAME" else (n - k) // s + 1


def torch_padding(r):
    if r["padding"] == "VALID":
        return (0, 0)
    # Every SAME convolution of Inception V3 has stride 1 and odd kernels:
    # TensorFlow's SAME is then the symmetric (k - 1) / 2.
    assert r["stride"] == 1 and r["kh"] % 2 == 1 and r["kw"] % 2 == 1, r["name"]
    return (r["kh"] // 2, r["kw"] // 2)


def time_torch(rows, batch, repeats):
    import torch
    import torch.nn.functional as F
    results = []
    with torch.no_grad():
        for r in rows:
            x = torch.rand(batch, r["c"], r["h"], r["w"]) * 2 - 1
            w = (torch.rand(r["o"], r["c"], r["kh"], r["kw"]) * 2 - 1) * 0.1
            b = torch.zeros(r["o"]) if r["bias"] else None
            pad = torch_padding(r)
            y = F.conv2d(x, w, b, stride=r["stride"], padding=pad)  # warm-up
            oh, ow = out_size(r["h"], r["kh"], r["stride"], r["padding"]), out_size(r["w"], r["kw"], r["stride"], r["padding"])
            assert tuple(y.shape) == (batch, r["o"], oh, ow), (r["name"], tuple(y.shape))
            best = float("inf")
            for _ in range(repeats):
                t0 = time.perf_counter()
                F.conv2d(x, w, b, stride=r["stride"], padding=pad)
                best = min(best, time.perf_counter() - t0)
            flops = 2.0 * batch * oh * ow * r["o"] * r["kh"] * r["kw"] * r["c"]
            results.append((r, flops, best))
    return results


def run_cutrain(binary, batch):
    prefix = "conv/batch8/" if batch == 8 else "smoke/batch1/"
    if batch not in (1, 8):
        sys.exit("--cutrain needs --batch 8 (or 1 for the smoke mode)")
    out = subprocess.run([binary, f"--benchmark_filter=^{prefix}total", "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    b = json.loads(out)["benchmarks"][0]
    return b["network_GFLOP/s"], b["network_seconds"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--table", default=os.path.join(here, "conv_cpu_bench.cpp"))
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch.set_num_threads (default: all cores)")
    ap.add_argument("--repeats", type=int, default=1, help="timed runs per shape after a warm-up; the best counts")
    ap.add_argument("--cutrain", help="path to the conv_cpu_bench binary to run and compare")
    ap.add_argument("--quiet", action="store_true", help="only the totals")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    rows = read_table(args.table)
    results = time_torch(rows, args.batch, args.repeats)
    if not args.quiet:
        for r, flops, t in results:
            print(f"{r['name']:<40} {r['h']:>3}x{r['w']:<3}x{r['c']:<4} {r['kh']}x{r['kw']}/{r['stride']} "
                  f"{r['padding']:<5} -> {r['o']:<4} x{r['uses']}  {t * 1e3:8.2f} ms  {flops / t / 1e9:7.1f} GFLOP/s")
    net = [(r, f, t) for r, f, t in results if not r["aux"]]
    flops = sum(f * r["uses"] for r, f, _ in net)
    seconds = sum(t * r["uses"] for r, _, t in net)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), batch {args.batch}: "
          f"{flops / 1e9:.1f} GFLOP of forward convolutions in {seconds:.3f} s = {flops / seconds / 1e9:.1f} GFLOP/s")
    if args.cutrain:
        gflops, secs = run_cutrain(args.cutrain, args.batch)
        print(f"cutrain CPU reference, batch {args.batch}: {flops / 1e9:.1f} GFLOP in {secs:.3f} s = {gflops:.1f} GFLOP/s")
        print(f"cutrain / torch: {gflops / (flops / seconds / 1e9):.2f}")


if __name__ == "__main__":
    main()
