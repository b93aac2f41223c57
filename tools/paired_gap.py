#!/usr/bin/env python
"""The accuracy gap between two runs of `tune_sample_classifier.py --preds` on the same held-out reviews, review by review.

    python tools/paired_gap.py runs/heldout_fp32.npz runs/heldout_bf16.npz

For each model in both files (fwd, bwd, ensemble): both accuracies, the gap (second minus first) and its paired
standard error, the standard deviation of the per-review differences over the square root of their number. Pairing
removes the reviews both get right or both get wrong, so it is much smaller than either accuracy's own standard error.
"""
import argparse, sys
import numpy as np

def paired_gap(a:np.ndarray, b:np.ndarray) -> tuple:
    "`(accuracy a, accuracy b, gap b - a, paired standard error of the gap)` from per-review right/wrong arrays."
    if a.shape != b.shape: raise ValueError(f"the runs scored different reviews ({a.size:,} and {b.size:,}): use the same folds")
    d = b.astype(float) - a.astype(float)
    return a.mean(), b.mean(), d.mean(), d.std(ddof=1) / np.sqrt(d.size)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('first'); p.add_argument('second')
    a = p.parse_args(argv)
    try: runs = [np.load(f) for f in (a.first, a.second)]
    except OSError as e: sys.exit(f"cannot read {e.filename or e}: give two .npz files from tune_sample_classifier.py --preds")
    print(f"| model | {a.first} | {a.second} | gap | paired standard error |\n| --- | ---: | ---: | ---: | ---: |")
    for k in [k for k in runs[0].files if k in runs[1].files]:
        try: acc_a, acc_b, gap, se = paired_gap(runs[0][k], runs[1][k])
        except ValueError as e: sys.exit(str(e))
        print(f"| {k} | {100 * acc_a:.2f}% | {100 * acc_b:.2f}% | {100 * gap:+.2f} | {100 * se:.2f} |")

if __name__ == '__main__': main()
