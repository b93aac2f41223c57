#!/usr/bin/env python
"""Training-step speed of the course's models in float32 and in bfloat16, on this CPU, in one run.

Times one full training step (forward, loss, backward, Adam) of the language model (`awd_lstm_lm`, with AR/TAR) and
of the classifier (`awd_lstm_clas`, BPT3C over whole reviews), in three precisions:
- `fp32`: float32 throughout;
- `bf16 autocast`: lesson 12's `Autocast` path, `torch.autocast('cpu', torch.bfloat16)` around an fp32 model and
  its fp32 Adam (what `--precision bf16` runs);
- `bf16 weights`: the model itself in bfloat16 and Adam on bfloat16 weights (no fp32 master copy; faster where it
  is, but its updates are rounded to 8 bits of mantissa).
The variants' steps are interleaved one by one on the same batches, so that a slow spell of the machine hits all of
them; the table gives tokens/s of the median step, and each variant's speed-up over fp32.

    python tools/bench_precision.py                 # the shipped small models' size, the `sample` preset's batches
    python tools/bench_precision.py --steps 3 --warmup 1   # a quick check

Needs a CPU with bfloat16 instructions (`avx512_bf16`, `amx_bf16`, Arm's `bf16`); elsewhere it says so and stops.
"""
from __future__ import annotations
import argparse, statistics, sys, time
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ulmfit_course.awd_lstm import awd_lstm_lm, lm_config
from ulmfit_course.classifier import awd_lstm_clas, clas_config
from ulmfit_course.utils import cpu_bf16
from bench_model import hardware, make_step

SMALL = dict(emb_sz=128, n_hid=256, n_layers=3)   # the shipped small models (the `sample` and `cpu` presets)
VARIANTS = ('fp32', 'bf16 autocast', 'bf16 weights')

def lm_step(model, opt, autocast):
    "One language-model step on `(x, y)`: `bench_model`'s step (cross-entropy, AR and TAR), with no loss scale."
    return make_step(model, opt, torch.amp.GradScaler('cpu', enabled=False), 'cpu', autocast, amp_dtype=torch.bfloat16)

def clas_step(model, opt, autocast):
    "One classifier step on `(x, y)`: cross-entropy on the pooled head's logits."
    def step(x, y):
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
            loss = F.cross_entropy(model(x)[0].float(), y)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    return step

def variant(make_model, make_step, name):
    "A fresh copy of the model (same seed, same weights) and its step in precision `name`."
    torch.manual_seed(0)
    model = make_model().train()
    if name == 'bf16 weights': model = model.to(torch.bfloat16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.7, 0.99))
    return make_step(model, opt, autocast=(name == 'bf16 autocast')), model

def bench(label, make_model, make_step, batches, n_tok, args):
    steps = {}
    for name in VARIANTS:
        step, model = variant(make_model, make_step, name)
        def run(x, y, step=step, model=model): model.reset(); step(x, y)   # a fresh state each step, as a new text
        steps[name] = run
        for i in range(args.warmup): run(*batches[i % len(batches)])
    times = {k: [] for k in steps}
    for i in range(args.steps):   # interleaved, the order turned each round
        order = VARIANTS if i % 2 == 0 else VARIANTS[::-1]
        for name in order:
            t0 = time.perf_counter(); steps[name](*batches[i % len(batches)]); times[name].append(time.perf_counter() - t0)
        print(f"# {label}: step {i + 1}/{args.steps}", file=sys.stderr, flush=True)
    tok_s = {k: n_tok / statistics.median(v) for k, v in times.items()}
    return [(label, k, tok_s[k], tok_s[k] / tok_s['fp32']) for k in VARIANTS]

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--vocab', type=int, default=8000, help="vocabulary size (the `sample` preset's)")
    p.add_argument('--lm-bs', type=int, default=64); p.add_argument('--bptt', type=int, default=70)
    p.add_argument('--clas-bs', type=int, default=32, help="the `sample` preset's classifier batch")
    p.add_argument('--review-len', type=int, default=300, help="tokens per review in the classifier's batches")
    p.add_argument('--steps', type=int, default=10); p.add_argument('--warmup', type=int, default=2)
    args = p.parse_args(argv)
    if not cpu_bf16(): sys.exit("this CPU has no bfloat16 instructions (avx512_bf16, amx_bf16 or bf16): nothing to compare")
    g = torch.Generator().manual_seed(1)
    lm_batches = [torch.randint(0, args.vocab, (args.lm_bs, args.bptt + 1), generator=g) for _ in range(4)]
    lm_batches = [(b[:, :-1], b[:, 1:]) for b in lm_batches]
    clas_batches = [(torch.randint(8, args.vocab, (args.clas_bs, args.review_len), generator=g),
                     torch.randint(0, 2, (args.clas_bs,), generator=g)) for _ in range(4)]
    lm = lambda: awd_lstm_lm(args.vocab, replace(lm_config(), **SMALL))
    clas = lambda: awd_lstm_clas(args.vocab, 2, replace(clas_config(), **SMALL))
    rows = bench('language model', lm, lm_step, lm_batches, args.lm_bs * args.bptt, args)
    rows += bench('classifier', clas, clas_step, clas_batches, args.clas_bs * args.review_len, args)
    print(f"Training step (forward, loss, backward, Adam), tokens/s of the median of {args.steps} interleaved steps")
    print(f"Hardware: {hardware('cpu')}; bfloat16 instructions: {', '.join(cpu_bf16())}; torch {torch.__version__}")
    print(f"Model: emb {SMALL['emb_sz']}, hidden {SMALL['n_hid']}, {SMALL['n_layers']} layers, vocab {args.vocab:,}; "
          f"LM batch {args.lm_bs} x {args.bptt}, classifier batch {args.clas_bs} reviews x {args.review_len} tokens\n")
    print("| model | precision | tokens/s | speed-up over fp32 |")
    print("| --- | --- | ---: | ---: |")
    for label, name, tok_s, ratio in rows: print(f"| {label} | {name} | {tok_s:,.0f} | {ratio:.2f}x |")
    return rows

if __name__ == '__main__': main()
