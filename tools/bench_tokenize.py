#!/usr/bin/env python
"""Benchmark (not a test): tokenizing IMDB reviews with `ulmfit_course.tokens.tokenize_corpus` vs fastai.

All tools do the same work on the same files, in one run on one machine: read each review, apply fastai's default
rules, tokenize with spaCy's blank English tokenizer, and count the tokens, with the same number of worker processes.

- ours: `tokenize_corpus(files, n_workers, cache=False)` and its `.counter`
- ours + special cases: the same, with fastai's spaCy special cases for the `xx` tokens switched on (to show where
  the difference comes from)
- fastai `parallel_tokenize`: what `tokenize_files`/`Tokenizer.from_folder` run, results kept in memory, plus a Counter
- fastai `Tokenizer.from_folder`: the whole path, which also writes one tokenized file per review

Usage: python tools/bench_tokenize.py [--path /work/data/imdb] [--n 2000] [--workers 2] [--no-ablation]
The default is all 100k reviews (train + test + unsup) of `--path`, else `$ULMFIT_IMDB`, else /work/data/imdb.
"""
import argparse, contextlib, os, platform, resource, shutil, sys, tempfile, time
from collections import Counter
from functools import partial
from importlib.metadata import version
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError: pass
    return platform.processor() or platform.machine()


def cpu_seconds() -> float:
    "CPU time of this process and of its finished children (the worker pools are shut down after each run)."
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def timed(f):
    w0, c0 = time.perf_counter(), cpu_seconds()
    res = f()
    return res, time.perf_counter() - w0, cpu_seconds() - c0


def run_ours(files, n_workers, special_cases=False):
    """`tokenize_corpus` without its cache, with a new spaCy tokenizer (as fastai makes one per run). With
    `special_cases`, the tokenizer gets fastai's special cases: `_spacy_tok` is swapped before the workers fork."""
    import ulmfit_course.tokens as T
    orig = T._spacy_tok
    orig.cache_clear()
    if special_cases: T._spacy_tok = lambda special_cases=False: orig(True)
    try: return T.tokenize_corpus(files, n_workers=n_workers, cache=False).counter
    finally: T._spacy_tok = orig


def run_fastai_parallel(files, n_workers):
    from fastai.text.core import SpacyTokenizer, parallel_tokenize, defaults
    rules = [partial(Path.read_text, encoding='utf8')] + list(defaults.text_proc_rules)
    counter = Counter()
    for _, toks in parallel_tokenize(files, SpacyTokenizer(), rules, n_workers=n_workers): counter.update(toks)
    return counter


def run_fastai_from_folder(files, root, n_workers, tmp):
    "`Tokenizer.from_folder` on a folder of symlinks to `files` that keeps IMDB's layout."
    from fastai.text.core import Tokenizer
    src = Path(tmp)/'imdb'
    for f in files:
        dst = src/f.relative_to(root)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists(): dst.symlink_to(f)
    out = Path(tmp)/'imdb_tok'
    shutil.rmtree(out, ignore_errors=True)
    tok, secs, cpu = timed(lambda: Tokenizer.from_folder(src, n_workers=n_workers))
    return tok.counter, secs, cpu


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--path', default=os.environ.get('ULMFIT_IMDB', '/work/data/imdb'),
                   help='IMDB folder in fastai layout (or its .tgz)')
    p.add_argument('--n', type=int, default=None, help='number of reviews (default: all, 100k on the full data)')
    p.add_argument('--workers', type=int, default=2, help='worker processes for every tool')
    p.add_argument('--no-ablation', action='store_true', help='skip the "ours + special cases" row')
    p.add_argument('--repeat', type=int, default=1, help='run every tool this many times (interleaved), keep the fastest')
    args = p.parse_args()

    # imported before any timing, so that no tool pays for loading torch, fastai or spaCy
    import spacy, fastai.text.core, ulmfit_course.tokens  # noqa: F401
    from ulmfit_course.data import imdb_path, lm_files
    root = imdb_path(args.path)
    files = lm_files(root)
    if args.n: files = files[::max(1, len(files)//args.n)][:args.n]  # spread over train, test and unsup
    n = len(files)
    for f in files: f.read_bytes()  # warm the page cache, so the first tool does not pay for the disk
    load = os.getloadavg()

    best, counters = {}, {}
    def add(name, counter, secs, cpu):
        counters[name] = counter
        if name not in best or secs < best[name][0]: best[name] = (secs, cpu)
        print(f'  {name}: {secs:.1f}s, {cpu:.1f} CPU s', file=sys.stderr)

    print(f'tokenizing {n:,} reviews from {root} with {args.workers} workers', file=sys.stderr)
    # progress bars go to stderr, so that stdout is only the table
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(sys.stderr):
        for _ in range(args.repeat):
            c, s, cpu = timed(lambda: run_ours(files, args.workers));  add('ours: `tokenize_corpus`', c, s, cpu)
            if not args.no_ablation:
                c, s, cpu = timed(lambda: run_ours(files, args.workers, special_cases=True))
                add('ours + fastai\'s spaCy special cases', c, s, cpu)
            c, s, cpu = timed(lambda: run_fastai_parallel(files, args.workers))
            add('fastai `parallel_tokenize`', c, s, cpu)
            c, s, cpu = run_fastai_from_folder(files, root, args.workers, tmp)
            add('fastai `Tokenizer.from_folder`', c, s, cpu)
    rows = [(name, n, secs, n / secs, cpu) for name, (secs, cpu) in best.items()]

    ref = next(iter(counters.values()))
    same = all(c == ref for c in counters.values())
    print('| tool | reviews | seconds | reviews/s | CPU s (all processes) |')  # best of --repeat runs
    print('| --- | ---: | ---: | ---: | ---: |')
    for name, n_, secs, rate, cpu in rows: print(f'| {name} | {n_:,} | {secs:.1f} | {rate:,.0f} | {cpu:.1f} |')
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    print(f'\n{cpu_model()}, {cores} cores available, {args.workers} workers; Python {platform.python_version()}, '
          f'torch {version("torch")}, fastai {version("fastai")}, spaCy {version("spacy")}; '
          f'load average at start {load[0]:.2f}; best of {args.repeat} run(s). '
          f'Same tokens from every tool: {"yes" if same else "NO"} ({sum(ref.values()):,} tokens, {len(ref):,} types).')
    if not same: sys.exit(1)


if __name__ == '__main__': main()
