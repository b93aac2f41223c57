#!/usr/bin/env python
"""Choose `ulmfit-imdb` settings for your own labelled texts on held-out folds of the training rows, never the test rows.

    python tools/tune_task.py trec.csv --folds 3 --base "--pretrained general --direction fwd" \
        "--clas-lr 0.01" "--clas-lr 0.02 --clas-epochs 1,1,1,1,4" "--pretrained none"

The file's scored rows (its split column, as `ulmfit-imdb --data` reads it) are dropped first. The training rows are
dealt into five stratified fifths (seed 0). For each of `--folds` fifths, each candidate trains on the other four and
is scored on the fifth: the same folds for every candidate, and for both bag-of-words baselines. Each candidate is a
string of `ulmfit-imdb` options added to `--base`. Prints the runs' logs and one JSON line per candidate and fold to
standard error as it goes, then a markdown table to standard output: each candidate's accuracy over every held-out row
and its mean wall time per fold, then the baselines (so `tools/results_page.py NAME python tools/tune_task.py ...`
files it).
"""
import argparse, contextlib, json, shlex, sys, tempfile, time
from pathlib import Path

import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ulmfit_course.pipeline import bow_baselines, labelled_data, parse_args, run_imdb


def fifths(labels:np.ndarray, seed:int=0) -> np.ndarray:
    "A fold number (0-4) for each row, dealt class by class so that every fifth holds each class in proportion."
    fold = np.empty(len(labels), dtype=int)
    rng = np.random.default_rng(seed)
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        fold[idx] = np.arange(len(idx)) % 5
    return fold


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('data', help="a .csv/.tsv of labelled texts (columns text, label[, is_valid] unless --cols says otherwise)")
    p.add_argument('candidates', nargs='+', help="each a string of ulmfit-imdb options, e.g. \"--clas-lr 0.01\"")
    p.add_argument('--base', default='', help="ulmfit-imdb options every candidate shares (a preset, --pretrained, ...)")
    p.add_argument('--cols', default='', help="--text-col/--label-col/--split-col options for reading the file")
    p.add_argument('--folds', type=int, default=1, choices=range(1, 6), help="held-out fifths to score on (default 1)")
    a = p.parse_args(argv)
    cols = shlex.split(a.cols)
    read = parse_args(['--data', a.data, *cols])[0]
    try: df = labelled_data(read)[0]   # the table exactly as `ulmfit-imdb --data` reads it
    except (OSError, ValueError) as e: sys.exit(f"tune_task: error: {e}")
    train = df[~df.is_valid].reset_index(drop=True)
    fold = fifths(train.label.to_numpy())
    work = Path(tempfile.mkdtemp(prefix='tune_task-'))
    hits = {c: [] for c in a.candidates}
    secs = {c: [] for c in a.candidates}
    base_hits = {}
    for k in range(a.folds):
        part = train.assign(is_valid=fold == k)
        csv = work/f'fold{k}.csv'
        part.to_csv(csv, index=False)
        for name, b in bow_baselines(part).items(): base_hits.setdefault(name, []).append((b['accuracy'], int(part.is_valid.sum())))
        for i, cand in enumerate(a.candidates):
            cfg = parse_args(['--data', str(csv), *shlex.split(a.base), *shlex.split(cand)])[0]
            t0 = time.time()
            with contextlib.redirect_stdout(sys.stderr):   # the runs' logs are progress; standard output is the table
                m = run_imdb(cfg, work/f'fold{k}_cand{i}', progress=False)
            secs[cand].append(time.time() - t0)
            acc = m['accuracy'].get('ensemble', next(iter(m['accuracy'].values())))
            hits[cand].append((acc, m['n_test']))
            print(json.dumps({'candidate': cand, 'fold': k, 'accuracy': acc, 'all': m['accuracy'], 'seconds': secs[cand][-1]}),
                  file=sys.stderr, flush=True)
    def pooled(rows): return sum(acc * n for acc, n in rows) / sum(n for _, n in rows)
    n_rows = sum(n for _, n in next(iter(hits.values())))
    print(f"`ulmfit-imdb --data {a.data} {a.cols} {a.base}`, held-out fifths {', '.join(map(str, range(a.folds)))} of the "
          f"training rows ({n_rows:,} rows scored in all):\n")
    print('| candidate | held-out accuracy | seconds per fold |\n| --- | ---: | ---: |')
    for cand in a.candidates: print(f"| `{cand}` | {pooled(hits[cand]):.2%} | {np.mean(secs[cand]):.0f} |")
    for name, rows in base_hits.items(): print(f"| baseline: {name} | {pooled(rows):.2%} | |")


if __name__ == '__main__': main()
