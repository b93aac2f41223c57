#!/usr/bin/env python
"""One language-model training epoch on the same token ids: the course's learner against fastai's, each in a fresh process.

Isolates the LM stage's training loop from everything around it (tokenizing, validation, checkpoints). Each variant
runs in its own process so that none inherits another's heap: glibc's malloc raises its mmap threshold as large
blocks are freed, so a second pipeline in the same process starts with a warmer heap than the first did.

- `ours`: `lm_dls` (variable-length BPTT, lesson 02) and `lm_learner` (lesson 06);
- `ours, fixed BPTT`: the same with `var_len=False`;
- `fastai`: fastai's `LMDataLoader` (fixed length 70) and `LMLearner` with `get_language_model(AWD_LSTM, ...)`;
- each again under lesson 12's `keep_freed_memory` (`--keep`), as `ulmfit-imdb` runs.

All train the shipped small model's sizes from the same seed, `fit_one_cycle(1)`, batch 64, BPTT 70, on the first
`--n-docs` reviews of the shipped sample. Prints a markdown table: batches, tokens, training seconds, tokens/s, minor
page faults and system CPU seconds. A benchmark, not a test: run it on a quiet machine.

    python tools/bench_lm_fit.py               # 1,500 reviews, five variants (about 6 minutes on 2 cores)
    python tools/bench_lm_fit.py --n-docs 200  # a quick check
"""
import argparse, json, os, resource, subprocess, sys, time
from dataclasses import replace
from pathlib import Path

VARIANTS = {'ours': ('ours', True, False), 'ours, fixed BPTT': ('ours', False, False), 'fastai': ('fastai', False, False),
            'ours, keep_freed_memory': ('ours', True, True), 'fastai, keep_freed_memory': ('fastai', False, True)}


def one(name:str, n_docs:int) -> dict:
    "Train one epoch of variant `name` in this process; what it measured."
    who, var_len, keep = VARIANTS[name]
    sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).parent)]
    if keep:
        from ulmfit_course.utils import keep_freed_memory
        keep_freed_memory()
    import numpy as np, torch
    from ulmfit_course.data import imdb_sample_path, lm_files
    from ulmfit_course.tokens import tokenize_corpus, Vocab
    from ulmfit_course.awd_lstm import lm_config
    torch.set_num_threads(os.cpu_count() or 1)
    corpus = tokenize_corpus(lm_files(imdb_sample_path())[:n_docs + 200])
    vocab = Vocab.from_counter(corpus.counter, max_vocab=8000)
    docs = [np.array(d, dtype=np.int64) for d in corpus.numericalize(vocab)]
    train, valid = docs[:n_docs], docs[n_docs:]
    cfg = replace(lm_config(), emb_sz=128, n_hid=256, n_layers=3)
    torch.manual_seed(0)
    if who == 'ours':
        from ulmfit_course.lm_data import lm_dls
        from ulmfit_course.finetune import lm_learner, PAPER_LM
        learn = lm_learner(lm_dls(train, valid, bs=64, bptt=70, var_len=var_len, seed=0, device='cpu'), len(vocab.itos), cfg, PAPER_LM)
    else:
        from functools import partial
        from fastai.text.all import (AWD_LSTM, Adam, CrossEntropyLossFlat, DataLoaders, LMDataLoader, LMLearner, Perplexity,
                                     accuracy, awd_lstm_lm_split, get_language_model)
        dls = DataLoaders(LMDataLoader([torch.tensor(d) for d in train], bs=64, seq_len=70, shuffle=True),
                          LMDataLoader([torch.tensor(d) for d in valid], bs=64, seq_len=70), device='cpu')
        learn = LMLearner(dls, get_language_model(AWD_LSTM, len(vocab.itos), config=cfg.fastai_config()), loss_func=CrossEntropyLossFlat(),
                          splitter=awd_lstm_lm_split, metrics=[accuracy, Perplexity()], opt_func=partial(Adam, wd=0.01))

    from bench_e2e import Clock   # the end-to-end benchmark's per-fit counter: batches, tokens, training seconds
    clock, r0 = Clock(time.time()), resource.getrusage(resource.RUSAGE_SELF)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 2e-3, cbs=clock)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    fit = clock.fits[-1]
    return dict(batches=fit['batches'], tokens=fit['tokens'], seconds=fit['train_s'], faults=r1.ru_minflt - r0.ru_minflt,
                sys_s=r1.ru_stime - r0.ru_stime)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--n-docs', type=int, default=1500, help='training reviews (the next 200 are held out)')
    p.add_argument('--only', choices=list(VARIANTS), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.only: return print(json.dumps(one(a.only, a.n_docs)))
    rows = {}
    for name in VARIANTS:
        r = subprocess.run([sys.executable, __file__, '--only', name, '--n-docs', str(a.n_docs)], capture_output=True, text=True, check=True)
        rows[name] = json.loads(r.stdout.strip().splitlines()[-1])
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import torch
    from ulmfit_course.pipeline import hardware
    hw = hardware(torch.device('cpu'))
    print(f"{hw['cpu']}, {hw['cores']} cores, torch {hw['torch']}, fastai {hw['fastai']}; {a.n_docs:,} reviews of the shipped sample\n")
    print('| variant | batches | tokens | training s | tokens/s | minor page faults | system CPU s |')
    print('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
    for name, r in rows.items():
        print(f"| {name} | {r['batches']} | {r['tokens']:,} | {r['seconds']:.1f} | {r['tokens'] / r['seconds']:,.0f} | "
              f"{r['faults']:,} | {r['sys_s']:.1f} |")


if __name__ == '__main__': main()
