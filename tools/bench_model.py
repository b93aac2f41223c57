#!/usr/bin/env python
"""Training throughput of the course's AWD-LSTM language model vs fastai's, on the same machine, in one run.

Measures tokens/s of a full training step (forward, cross-entropy + AR/TAR, backward, Adam step) for
`ulmfit_course.awd_lstm.awd_lstm_lm` and fastai's `get_language_model(AWD_LSTM, ...)`, given the same weights
and the same batches. The two models' steps are interleaved one by one (A B B A A B ...) so that a slowdown of
the machine hits both; the table reports tokens/s of the median step of each.

    python tools/bench_model.py                        # CPU, paper size (small batch) and a small size
    python tools/bench_model.py --device cuda --fp16   # GPU, mixed precision (autocast + GradScaler)
    python tools/bench_model.py --steps 2 --warmup 1 --sizes small   # a quick check
    python tools/bench_model.py --threads 1             # on a busy shared machine: less noise
    python tools/bench_model.py --fp16 --amp-dtype bfloat16 --sizes small --steps 2   # the mixed-precision path, on CPU

Besides tokens/s (wall clock) it reports CPU milliseconds per 1,000 tokens, which other processes on a shared
machine disturb much less than the wall clock.
"""
from __future__ import annotations
import argparse, os, platform, statistics, sys, time
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ulmfit_course.awd_lstm import awd_lstm_lm, lm_config
from fastai.text.models.awdlstm import AWD_LSTM
from fastai.text.models.core import get_language_model

# name -> (model config, vocab size, default batch size on cpu, default batch size on a GPU)
SIZES = {
    'paper': (lm_config(), 60_000, 16, 64),
    'small': (replace(lm_config(), emb_sz=128, n_hid=256, n_layers=2), 8_000, 32, 64),
}

def hardware(device:str) -> str:
    if device.startswith('cuda'):
        p = torch.cuda.get_device_properties(0)
        return f"{torch.cuda.get_device_name(0)} ({p.total_memory / 2**30:.0f} GiB), CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}"
    cpu = platform.processor() or platform.machine()
    try:
        names = [l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')]
        if names: cpu = names[0]
    except OSError: pass
    return f"CPU {cpu}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}"

def make_step(model, opt, scaler, device, fp16, alpha=2., beta=1., amp_dtype=torch.float16):
    "One training step, identical for both models (ARTARCallback's terms included)."
    def step(x, y):
        with torch.autocast(device_type=device.split(':')[0], dtype=amp_dtype, enabled=fp16):
            logits, raw, dropped = model(x)
            loss = F.cross_entropy(logits.flatten(0, 1).float(), y.flatten())
        loss = loss + alpha * dropped.float().pow(2).mean() + beta * (raw[:, 1:] - raw[:, :-1]).float().pow(2).mean()
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt); scaler.update()
        return loss
    return step

def sync(device):
    if device.startswith('cuda'): torch.cuda.synchronize()

def bench_size(name, cfg, vocab_sz, bs, bptt, args):
    dev = args.device
    torch.manual_seed(0)
    theirs = get_language_model(AWD_LSTM, vocab_sz, config=cfg.fastai_config()).to(dev).train()
    ours = awd_lstm_lm(vocab_sz, cfg)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    ours = ours.to(dev).train()
    g = torch.Generator().manual_seed(1)
    batches = [torch.randint(0, vocab_sz, (bs, bptt + 1), generator=g) for _ in range(4)]
    batches = [(b[:, :-1].to(dev), b[:, 1:].to(dev)) for b in batches]
    steps = {}
    for label, model in (('ours', ours), ('fastai', theirs)):
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.7, 0.99))
        scaler = torch.amp.GradScaler(dev.split(':')[0], enabled=args.fp16)
        steps[label] = make_step(model, opt, scaler, dev, args.fp16, amp_dtype=getattr(torch, args.amp_dtype))
        for i in range(args.warmup): steps[label](*batches[i % len(batches)])
    sync(dev)
    # steps interleaved one by one in an A B B A pattern: a slow spell of the machine (other processes, clock
    # changes) hits both models alike, and the median step ignores the outliers
    # CPU time (all threads of this process) next to wall time: on a shared machine the wall clock also counts
    # the time other processes held the cores, CPU time only the work done
    times, cpu = {'ours': [], 'fastai': []}, {'ours': [], 'fastai': []}
    for i in range(args.steps):
        for label in (('ours', 'fastai') if i % 2 == 0 else ('fastai', 'ours')):
            sync(dev); t0, c0 = time.perf_counter(), time.process_time()
            steps[label](*batches[i % len(batches)])
            sync(dev); times[label].append(time.perf_counter() - t0); cpu[label].append(time.process_time() - c0)
    tok = bs * bptt
    res = {k: tok / statistics.median(v) for k, v in times.items()}
    cpu_ms = {k: 1e3 * statistics.median(v) / tok * 1000 for k, v in cpu.items()}  # CPU ms per 1,000 tokens
    return dict(size=name, cfg=f"emb {cfg.emb_sz}, hid {cfg.n_hid}, {cfg.n_layers} layers, vocab {vocab_sz:,}",
                batch=f"{bs} x {bptt}", ours=res['ours'], fastai=res['fastai'], ratio=res['ours'] / res['fastai'],
                cpu_ours=cpu_ms['ours'], cpu_fastai=cpu_ms['fastai'])

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    p.add_argument('--fp16', action='store_true', help='mixed precision (autocast + GradScaler)')
    p.add_argument('--amp-dtype', default='float16', choices=['float16', 'bfloat16'],
                   help='autocast dtype with --fp16 (CPU LSTMs need bfloat16)')
    p.add_argument('--sizes', default='paper,small', help=f"comma-separated, from {list(SIZES)}")
    p.add_argument('--bs', type=int, default=None, help='batch size for every size (default: per size and device)')
    p.add_argument('--bptt', type=int, default=70)
    p.add_argument('--steps', type=int, default=10, help='timed steps per model, interleaved (the median step is reported)')
    p.add_argument('--warmup', type=int, default=2, help='untimed steps per model first')
    p.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch default)')
    args = p.parse_args(argv)
    if args.fp16 and args.device == 'cpu' and args.amp_dtype == 'float16':
        p.error('--fp16 on CPU needs --amp-dtype bfloat16 (oneDNN has no float16 LSTM)')
    if args.device.startswith('cuda') and not torch.cuda.is_available(): p.error('no CUDA device available')
    if args.threads: torch.set_num_threads(args.threads)
    import fastai
    rows = []
    for name in args.sizes.split(','):
        cfg, vocab_sz, bs_cpu, bs_gpu = SIZES[name]
        bs = args.bs or (bs_gpu if args.device.startswith('cuda') else bs_cpu)
        rows.append(bench_size(name, cfg, vocab_sz, bs, args.bptt, args))
        print(f"# done: {name}", file=sys.stderr, flush=True)
    prec = f'mixed precision ({args.amp_dtype} autocast)' if args.fp16 else 'fp32'
    print(f"Training throughput, tokens/s (forward + CE + AR/TAR + backward + Adam step), {prec}")
    print(f"Hardware: {hardware(args.device)}; torch {torch.__version__}, fastai {fastai.__version__}")
    print(f"{args.steps} timed steps per model, interleaved A B B A, after {args.warmup} warm-up steps; median step\n")
    print("| size | model | batch (bs x bptt) | ours tok/s | fastai tok/s | ours / fastai | CPU ms / 1k tok, ours | fastai |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['size']} | {r['cfg']} | {r['batch']} | {r['ours']:,.0f} | {r['fastai']:,.0f} | {r['ratio']:.2f} "
              f"| {r['cpu_ours']:,.0f} | {r['cpu_fastai']:,.0f} |")
    return rows

if __name__ == '__main__': main()
