#!/usr/bin/env python
"""Choose how the classifier trains on very few labels, on held-out training reviews of the shipped sample.

Lesson 10's low-shot curve trains the `sample_fwd` preset's classifier on 100 to 2,000 labels. With the preset's epochs
alone, 100 labels make 3 batches an epoch, 30 optimizer steps in all, and the classifier can stay at chance. This
script compares ways of giving small label sets more steps. For each size and draw, `n` labelled reviews are drawn
from the sample's 2,000 training reviews and a classifier trained from the given fine-tuned language model is scored
on 600 *other* training reviews. The sample's test reviews play no part.

    ulmfit-imdb --preset sample_fwd --out runs/sample_fwd   # lesson 10's fine-tuned encoder
    python tools/tune_low_shot.py runs/sample_fwd/lm_fwd --sizes 100 200 --draws 3

Prints one JSON line per candidate, size and draw, then one per candidate and size with the mean over the draws.
Measured from the shipped model fine-tuned as the `sample_fwd` preset does, on a 2-core Intel Xeon CPU (3 draws, 600 held-out
reviews each, about 20 s per classifier with the preset's epochs and 80 s with the scaled ones):

| labels | preset epochs | epochs scaled to 150 steps | batch size n // 8 |
| ---: | ---: | ---: | ---: |
| 100 | 43.0% (50.7, 37.0, 42.2) | **72.4%** (73.5, 71.8, 71.8) | 70.6% (74.0, 72.3, 65.2) |
| 200 | 77.7% (74.3, 76.3, 82.3) | **78.7%** (75.8, 79.8, 80.3) | 78.3% (74.8, 80.3, 79.7) |

Lesson 10's low-shot curve uses the scaled epochs (`with_min_steps`) below 500 labels.

`--scratch` compares recipes for the same classifier from random weights instead (the paper's "from scratch"), so that
the low-shot curve's from-scratch line has a recipe of its own, chosen the same way:

    python tools/tune_low_shot.py runs/sample_fwd/lm_fwd --scratch --sizes 200 1000 --draws 1

Lesson 10's classifier from random weights uses the winner, 'one-cycle, lr 3e-3, 20 epochs' (81.3% held out at 1,000
labels against 51.7% for ULMFiT's schedule; 70.9% against 49.9% at 200 labels, two draws; RESULTS.md).
"""
import argparse, json, math, sys, time
from dataclasses import replace
from pathlib import Path

import pandas as pd
from fastai.torch_core import set_seed
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ulmfit_course.data import imdb_sample_path, labeled_df
from ulmfit_course.pretrain import load_lm
from ulmfit_course.awd_lstm import clas_config
from ulmfit_course.classifier import clas_dls
from ulmfit_course.clas_training import clas_learner, gradual_unfreeze
from ulmfit_course.pipeline import PRESETS

CANDIDATES = {  # how a set of n labels is trained: batch size min(preset's, n // 2) unless said otherwise
    'preset epochs': dict(),
    'epochs scaled to 150 steps': dict(min_steps=150),   # the steps 500 labels get with the preset (15 batches x 10 epochs)
    'batch size n // 8': dict(bs_div=8),
}

# from random weights: every group trains from the start (no gradual unfreezing, one rate), and longer; the encoder's
# vocabulary is the fine-tuned model's, so that both lines of the curve read the same tokens
_ALL = dict(stages=(5,), lr_mults=(1,), discr=1.)
SCRATCH = {
    "ULMFiT's schedule, all at once, 10 epochs": dict(**_ALL, epochs=(10,)),
    'one-cycle, lr 3e-3, 20 epochs': dict(**_ALL, epochs=(20,), sched='one_cycle', lr=3e-3, moms=(0.8, 0.7, 0.8)),
    'one-cycle, lr 1e-3, 30 epochs': dict(**_ALL, epochs=(30,), sched='one_cycle', lr=1e-3, moms=(0.8, 0.7, 0.8)),
    'one-cycle, lr 1e-2, 20 epochs': dict(**_ALL, epochs=(20,), sched='one_cycle', lr=1e-2, moms=(0.8, 0.7, 0.8)),
    'one-cycle, lr 3e-3, 20 epochs, drop_mult 0.1': dict(**_ALL, epochs=(20,), sched='one_cycle', lr=3e-3, moms=(0.8, 0.7, 0.8),
                                                        drop_mult=0.1),
}

def take(df:pd.DataFrame, n:int, seed:int) -> pd.DataFrame:
    "`n` reviews of `df`, half of each label (as lesson 10 draws them)."
    return pd.concat([g.sample(n // 2, random_state=seed) for _, g in df.groupby('label')])

def candidate_recipe(n:int, min_steps:int=0, bs_div:int=2, **over):
    "The `sample_fwd` preset's classifier recipe (lesson 10's), with `over`, for `n` labels: its batch size at most `n // bs_div`, every stage's epochs scaled up to `min_steps` steps."
    r = replace(PRESETS['sample_fwd'].clas, **over)
    r = replace(r, bs=min(r.bs, n // bs_div))
    k = max(1, math.ceil(min_steps / ((n // r.bs) * sum(r.epochs))))
    return replace(r, epochs=tuple(e * k for e in r.epochs))

def score(lm_dir, vocab, recipe, train:pd.DataFrame, held:pd.DataFrame, seed:int, sizes:dict=None) -> float:
    "Accuracy on `held` of a classifier trained on `train` from `lm_dir` (None: random weights of `sizes`) with `recipe` (validated once, at the end)."
    kw = dict(bs=recipe.bs, bptt=recipe.bptt)
    # as in lesson 10: the loader validates on a token 8 reviews; `held` is scored once, at the end
    dls = clas_dls(pd.concat([train.assign(is_valid=False), held.iloc[:8].assign(is_valid=True)]), vocab, seed=seed, **kw)
    held_dl = clas_dls(pd.concat([train.iloc[:2].assign(is_valid=False), held.assign(is_valid=True)]), vocab, **kw).valid
    set_seed(seed)
    cfg = None if lm_dir else replace(clas_config(recipe.drop_mult), **sizes)   # from random weights: the encoder's sizes
    learn = clas_learner(dls, lm_dir, recipe, cfg=cfg)
    with learn.no_bar(), learn.no_logging():
        gradual_unfreeze(learn, recipe)
        probs, y = learn.get_preds(dl=held_dl)
    return float((probs.argmax(1) == y).float().mean())

def main(lm_dir, names=(), sizes=(100, 200), draws:int=3, n_held:int=600, scratch:bool=False):
    _, vocab, lm_cfg = load_lm(lm_dir)
    model_sizes = {k: getattr(lm_cfg, k) for k in ('emb_sz', 'n_hid', 'n_layers')}   # of the classifier from random weights
    candidates = SCRATCH if scratch else CANDIDATES
    df = labeled_df(imdb_sample_path())
    train_all, seed = df[~df.is_valid], PRESETS['sample_fwd'].seed
    results = {}
    for n in sizes:
        for d in range(draws):
            train = take(train_all, n, seed=1000 * d + n)
            held = take(train_all.drop(train.index), n_held, seed=d)
            for name, over in candidates.items():
                if names and name not in names: continue
                t0, recipe = time.time(), candidate_recipe(n, **over)
                acc = score(None if scratch else lm_dir, vocab, recipe, train, held, seed, model_sizes)
                results.setdefault((name, n), []).append(acc)
                print(json.dumps({'candidate': name, 'labels': n, 'draw': d, 'bs': recipe.bs, 'epochs': recipe.epochs,
                                  'held_out_accuracy': round(acc, 4), 'seconds': round(time.time() - t0)}), flush=True)
    for (name, n), accs in results.items():
        print(json.dumps({'candidate': name, 'labels': n, 'draws': len(accs), 'held_out_reviews': n_held,
                          'mean_accuracy': round(sum(accs) / len(accs), 4), 'per_draw': [round(a, 4) for a in accs]}), flush=True)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('lm_dir', help="a finetune_lm folder with lm.pth (runs/sample/lm_fwd after `ulmfit-imdb --out runs/sample`)")
    p.add_argument('candidates', nargs='*', help="names of CANDIDATES, or of SCRATCH with --scratch (default: all)")
    p.add_argument('--scratch', action='store_true', help="compare recipes for the classifier from random weights (SCRATCH)")
    p.add_argument('--sizes', type=int, nargs='+', default=[100, 200], help="label counts to try (default 100 200)")
    p.add_argument('--draws', type=int, default=3, help="draws of the labels per size (default 3)")
    a = p.parse_intermixed_args()
    if not (Path(a.lm_dir)/'lm.pth').exists(): sys.exit(f"{a.lm_dir} has no lm.pth: give a finetune_lm folder "
                                                         "(runs/sample/lm_fwd after `ulmfit-imdb --out runs/sample`)")
    known = SCRATCH if a.scratch else CANDIDATES
    unknown = [n for n in a.candidates if n not in known]
    if unknown: sys.exit(f"unknown candidate {unknown[0]!r}: choose from {list(known)}")
    if not all(8 <= n <= 1400 for n in a.sizes) or a.draws < 1:
        sys.exit(f"sizes must lie between 8 and 1,400 labels (600 of the 2,000 are held out) and draws be at least 1, got {a.sizes}, {a.draws}")
    main(a.lm_dir, a.candidates, a.sizes, a.draws, scratch=a.scratch)
