"""The optimizer-step peer for benches/bandwidth.rs: one torch.optim.Adam(fused=True) step on
N float32 parameters (default 1e7) on the CPU, timed over several steps; prints the median
step time, parameters per second, and the effective bandwidth at 28 bytes per parameter
(read p, g, m, v; write p, m, v), the same accounting as benches/bandwidth.rs.

Run: /work/peers-venv/bin/python benches/peers_optim_step.py [--n 10000000] [--threads 0]
(needs `pip install torch numpy`)."""
import argparse, statistics, time

import torch

ap = argparse.ArgumentParser()
ap.add_argument('--n', type=int, default=10_000_000)
ap.add_argument('--steps', type=int, default=30)
ap.add_argument('--threads', type=int, default=0, help='torch threads (0: torch default)')
ap.add_argument('--fused', type=int, default=1)
a = ap.parse_args()
if a.threads:
    torch.set_num_threads(a.threads)
g = torch.Generator().manual_seed(0)
p = torch.nn.Parameter(torch.randn(a.n, generator=g) * 0.1)
p.grad = torch.randn(a.n, generator=g) * 1e-3
opt = torch.optim.Adam([p], lr=1e-3, fused=bool(a.fused))
for _ in range(3):  # warm up: creates the moment buffers
    opt.step()
times = []
for _ in range(a.steps):
    t0 = time.perf_counter()
    opt.step()
    times.append(time.perf_counter() - t0)
t = statistics.median(times)
print(f"torch_adam fused={bool(a.fused)} n={a.n} threads={torch.get_num_threads()} "
      f"step_ms={t * 1e3:.3f} params_per_s={a.n / t:.3e} gb_per_s={28 * a.n / t / 1e9:.2f}")
