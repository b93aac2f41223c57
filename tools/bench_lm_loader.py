#!/usr/bin/env python
"""Language-model batching speed: `ulmfit_course.lm_data.LMLoader` vs fastai's `LMDataLoader`.

Both loaders get the same token ids and are timed on the same machine in one run, for a full epoch each
(shuffled, as in training), at the paper's bs 64 / bptt 70 and fastai's IMDB recipe, bs 256 / seq_len 80.
Prints a markdown table and the hardware. A benchmark, not a test: run it on a quiet machine.

The documents are the token ids of real IMDB reviews when `ulmfit_course.tokens` is available (`--source imdb`
tokenizes them, cached for the next run; `auto` uses them only when a token cache already exists), otherwise
synthetic documents with IMDB's length distribution (log-normal, mean ~270 tokens, each starting with xxbos).

    python tools/bench_lm_loader.py                      # 100,000 documents, as many as IMDB's LM corpus
    python tools/bench_lm_loader.py --n-docs 2000        # a quick check
    python tools/bench_lm_loader.py --source imdb --imdb /path/to/imdb
"""
import argparse, importlib.util, os, platform, time
import numpy as np, torch

CONFIGS = [(64, 70), (256, 80)]  # (bs, seq_len): the paper's, fastai's IMDB recipe
XXBOS, VOCAB_SZ = 2, 60_000


def synthetic_docs(n_docs, mean_len=270, sigma=0.75, seed=0):
    "Documents with IMDB-like lengths (log-normal, mean `mean_len`), ids uniform over a 60k vocab, xxbos first."
    rng = np.random.default_rng(seed)
    lens = np.maximum(rng.lognormal(np.log(mean_len) - sigma**2 / 2, sigma, n_docs).astype(np.int64), 10)
    ids = rng.integers(8, VOCAB_SZ, int(lens.sum()))
    docs = np.split(ids, np.cumsum(lens)[:-1])
    for d in docs: d[0] = XXBOS
    return docs


def token_cache_exists(path=None):
    "Whether `tokenize_corpus` has the LM files of `path` cached (so `auto` does not start a long tokenization)."
    from ulmfit_course.data import imdb_path, lm_files
    from ulmfit_course.utils import cache_dir
    try:
        from ulmfit_course.tokens import _corpus_key, TEXT_RULES  # private: how lesson 01 names its cache files
        return (cache_dir() / 'tokens' / f'{_corpus_key(lm_files(imdb_path(path)), list(TEXT_RULES))}.npz').exists()
    except Exception: return False


def imdb_docs(n_docs, path=None, seed=0):
    "Token ids of real IMDB reviews (all LM files of `path`, default `imdb_path()`), sampled or cycled to `n_docs`."
    from ulmfit_course.data import imdb_path, lm_files
    from ulmfit_course.tokens import tokenize_corpus, Vocab
    folder = imdb_path(path)
    corpus = tokenize_corpus(lm_files(folder))
    vocab = Vocab.from_counter(corpus.counter)
    docs = corpus.numericalize(vocab)
    rng = np.random.default_rng(seed)
    if n_docs <= len(docs):
        idx = rng.choice(len(docs), n_docs, replace=False)
        note = 'all of them' if n_docs == len(docs) else f'a random {n_docs:,} of {len(docs):,}'
    else: idx, note = np.arange(n_docs) % len(docs), f'{len(docs):,} reviews repeated'
    return [docs[i] for i in idx], f'real IMDB reviews from {folder} ({note}; vocab {len(vocab):,})'


def time_epochs(make_dl, epochs, min_seconds, device):
    "Build the loader, iterate full epochs (at least `epochs` and `min_seconds`) with batches on `device`."
    start = time.perf_counter()
    dl = make_dl()
    setup = time.perf_counter() - start
    n_epochs = n_batches = n_tokens = 0
    start = time.perf_counter()
    while n_epochs < epochs or time.perf_counter() - start < min_seconds:
        for x, y in dl:  # what fastai's Learner does with every batch: move it to the model's device
            x, y = x.to(device), y.to(device)
            n_batches += 1; n_tokens += x.numel()
        n_epochs += 1
        if device.type == 'cuda': torch.cuda.synchronize()
    return setup, time.perf_counter() - start, n_epochs, n_batches, n_tokens


def cpu_model():
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError: pass
    return platform.processor() or platform.machine()


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--n-docs', type=int, default=100_000, help='documents in the corpus (IMDB LM corpus: 100,000)')
    p.add_argument('--epochs', type=int, default=1, help='full epochs timed per loader (at least)')
    p.add_argument('--min-seconds', type=float, default=2.0, help='repeat epochs until this much time is measured')
    p.add_argument('--source', choices=['auto', 'imdb', 'synthetic'], default='auto')
    p.add_argument('--imdb', default=None, help='IMDB folder or .tgz for --source imdb (default: imdb_path())')
    p.add_argument('--device', default='cpu', help="where batches end up: 'cpu' or 'cuda' (ours builds them there)")
    args = p.parse_args()
    device = torch.device(args.device)

    from fastai.text.data import LMDataLoader
    from ulmfit_course.lm_data import LMLoader
    import fastai, ulmfit_course

    have_tokens = importlib.util.find_spec('ulmfit_course.tokens') is not None
    use_imdb = args.source == 'imdb' or (args.source == 'auto' and have_tokens and token_cache_exists(args.imdb))
    if use_imdb:
        if not have_tokens: raise SystemExit('--source imdb needs ulmfit_course.tokens (lesson 01)')
        docs, source = imdb_docs(args.n_docs, args.imdb)
    else:
        docs = synthetic_docs(args.n_docs)
        why = ('ulmfit_course.tokens not available' if not have_tokens else
               'no token cache yet: --source imdb tokenizes the reviews' if args.source == 'auto' else 'asked for')
        source = f'synthetic documents with IMDB-like lengths ({why})'
    n_tok = sum(len(d) for d in docs)
    fastai_docs = [torch.as_tensor(d) for d in docs]  # fastai's loader takes tensors; converted outside the timing

    # sanity check: unshuffled and fixed-length, both loaders give the same first batch
    a = next(iter(LMLoader(docs, bs=64, bptt=70, shuffle=False, var_len=False)))
    b = next(iter(LMDataLoader(fastai_docs, bs=64, seq_len=70, shuffle=False)))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]), 'loaders disagree on the first batch'

    loaders = {
        'ours, LMLoader (fixed length)': lambda bs, sl: LMLoader(docs, bs=bs, bptt=sl, var_len=False, seed=0, device=device),
        'ours, LMLoader (variable length)': lambda bs, sl: LMLoader(docs, bs=bs, bptt=sl, var_len=True, seed=0, device=device),
        'fastai LMDataLoader': lambda bs, sl: LMDataLoader(fastai_docs, bs=bs, seq_len=sl, shuffle=True),
    }
    for make in loaders.values():  # warm-up: first-call costs stay out of the timings
        for _ in make(64, 70): pass
    rows = []
    for bs, sl in CONFIGS:
        res = {}
        for name, make in loaders.items():
            res[name] = time_epochs(lambda: make(bs, sl), args.epochs, args.min_seconds, device)
        _, f_secs, _, f_b, _ = res['fastai LMDataLoader']
        for name, (setup, secs, n_e, n_b, n_t) in res.items():
            rows.append(f'| {bs} | {sl} | {name} | {n_b // n_e:,} | {n_e} | {setup:.2f} | {secs / n_e:.3f} | '
                        f'{n_b/secs:,.0f} | {n_t/secs/1e6:,.2f} | {n_b/secs/(f_b/f_secs):,.1f}x |')

    print('\n## Language-model batches/s: LMLoader vs fastai LMDataLoader\n')
    print(f'Corpus: {len(docs):,} documents, {n_tok:,} tokens (mean {n_tok/len(docs):.0f} per document): {source}.')
    print(f'Full shuffled epochs per loader (at least {args.epochs}, and at least {args.min_seconds:g} s), every batch '
          f'ending on {device} as in a Learner: fastai makes it on the CPU (num_workers=0, its default for '
          'LMDataLoader) and it is moved; ours builds each epoch\'s stream on that device. Setup = building the '
          'loader; s/epoch includes shuffling and building the stream.\n')
    print('| bs | seq_len | loader | batches/epoch | epochs | setup s | s/epoch | batches/s | M tokens/s | vs fastai |')
    print('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
    print('\n'.join(rows))
    load = ', '.join(f'{x:.2f}' for x in os.getloadavg()) if hasattr(os, 'getloadavg') else 'n/a'
    print(f'\nHardware: {cpu_model()}, {os.cpu_count()} logical cores, torch threads {torch.get_num_threads()}, '
          f'load average {load} (at the end).')
    if device.type == 'cuda': print(f'GPU: {torch.cuda.get_device_name(device)}.')
    print(f'Versions: Python {platform.python_version()}, torch {torch.__version__}, fastai {fastai.__version__}, '
          f'numpy {np.__version__}, ulmfit_course {ulmfit_course.__version__}, {platform.system()} {platform.release()}.')


if __name__ == '__main__': main()
