#!/usr/bin/env python
"""Choose the `sample` presets' classifier settings on held-out fifths of the sample's training reviews.

The sample's 1,000 test reviews play no part: the 2,000 labelled training reviews are cut into five stratified fifths
(seed 0); for each fold, a candidate trains on four fifths (1,600 reviews) from the same fine-tuned language model and
is scored on the fifth held out (400). With `--folds 5` every training review is held out once, so the candidates are
compared on all 2,000 (paired: the same folds for each), which is four times less noisy than one fold.

    ulmfit-imdb --out runs/sample                               # the default run: both directions' encoders
    python tools/tune_sample_classifier.py runs/sample/lm_fwd --bwd runs/sample/lm_bwd     # the ensemble
    python tools/tune_sample_classifier.py runs/sample/lm_fwd --folds 5 'lr 0.02, epochs 1,1,1,1,3, one rate'

Prints one JSON line per candidate and fold (the held-out accuracy after each epoch, the seconds it took), one per
candidate with its accuracy over every held-out review, and one per bag-of-words baseline trained and scored on the
same folds. Measured with `--folds 3` on the shipped sample (1,200 held-out reviews), from the small model of lesson 05's
second step (2-core AMD EPYC CPU, about 200 s per fold): the paper's discriminative factor 2.6 84.1%, one rate for
every group 86.7%, factor 1.6 86.9%. From the shipped model, with epochs 1,1,1,1,3: 87.75% on the AMD EPYC; on a
2-core Intel Xeon (about 130 s per fold) 86.8% (88.0 / 86.5 / 86.0) and one rate 86.8%. Six epochs for the last stage
(the `sample_fwd` preset), on the Intel Xeon (about 200 s per fold): 87.9% (88.5 / 88.5 / 86.75), better on each fold;
the same with rate 0.01 87.7% (88.0 / 87.5 / 87.5), and 1,1,2,2,4 epochs 87.1% (88.25 / 88.0 / 85.0).
tf-idf + logistic regression 87.7%, NB-weighted bigrams 87.4% on both CPUs.
The forward + backward ensemble from the two shipped models, each fine-tuned on 1,000 of the sample's texts (the
preset's LM recipe), on the same 3 folds (Intel Xeon): with 1,1,1,1,3 epochs for each classifier (about 270 s per
fold for both directions) forward 86.8%, backward 87.2%, ensemble 88.6% (89.75 / 89.25 / 86.75); with 1,1,1,1,4 (the
`sample` preset; about 310 s per fold) forward 88.0%, backward 88.1%, ensemble 89.4% (91.0 / 91.25 / 86.0); tf-idf
87.7% and NB-weighted bigrams 87.4% on these folds. Six epochs for the last stage of both directions would not fit
the default run's ten minutes.
On the AMD EPYC (about 450 s per fold), the preset's classifiers from the two encoders of `tools/sample_encoders.py`,
with `--preds`: ensemble 89.2% (forward 86.8%, backward 88.0%) with one more LM fine-tuning pass over 1,000 sample
reviews, 89.6% (87.7%, 88.8%) without it; review by review the gap is 0.4 points, with a paired standard error of 0.6.
In bfloat16 on a 2-core AMD EPYC with avx512_bf16 (about 263 s per fold for both directions), the `sample` preset's
recipe: ensemble 89.0% (forward 87.3%, backward 88.3%), the same 89.0% as float32 on the same folds (405 s per fold);
with `bs 64` 88.5% (86.1%, 87.3%) at 253 s per fold.
"""
import argparse, json, sys, time
import numpy as np
from dataclasses import replace
from pathlib import Path

from fastai.torch_core import set_seed
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ulmfit_course.data import imdb_sample_path, labeled_df
from ulmfit_course.pretrain import load_lm
from ulmfit_course.utils import resolve_precision, set_precision
from ulmfit_course.classifier import clas_dls
from ulmfit_course.clas_training import PAPER_CLAS, clas_learner, gradual_unfreeze
from ulmfit_course.pipeline import PRESETS, bow_baselines

CANDIDATES = {  # changes to the sample preset's classifier recipe (ClasRecipe fields; `epochs`: one stage per count)
    'lr 0.01, epochs 1,1,1,1,2': dict(lr=0.01, epochs=(1, 1, 1, 1, 2), discr=PAPER_CLAS.discr),
    'lr 0.01, epochs 1,1,1,1,4': dict(lr=0.01, epochs=(1, 1, 1, 1, 4), discr=PAPER_CLAS.discr),
    'lr 0.02, epochs 1,1,1,1,2': dict(lr=0.02, epochs=(1, 1, 1, 1, 2), discr=PAPER_CLAS.discr),
    'lr 0.01, epochs 1,1,1,1,2, drop_mult 0.3': dict(lr=0.01, epochs=(1, 1, 1, 1, 2), drop_mult=0.3, discr=PAPER_CLAS.discr),
    'lr 0.04, epochs 1,1,1,1,2': dict(lr=0.04, epochs=(1, 1, 1, 1, 2), discr=PAPER_CLAS.discr),
    'lr 0.02, epochs 1,1,1,1,3': dict(lr=0.02, epochs=(1, 1, 1, 1, 3), discr=PAPER_CLAS.discr),   # the paper's factor (2.6)
    # milder or no discriminative rates (lesson 10: the paper's 2.6 costs points at 500 labels)
    'lr 0.02, epochs 1,1,1,1,3, one rate': dict(lr=0.02, epochs=(1, 1, 1, 1, 3), discr=1.),
    'lr 0.01, epochs 1,1,1,1,3, one rate': dict(lr=0.01, epochs=(1, 1, 1, 1, 3), discr=1.),
    'lr 0.02, epochs 1,1,1,1,3, discr 1.6': dict(lr=0.02, epochs=(1, 1, 1, 1, 3), discr=1.6),   # the preset until 1,1,1,1,6
    # more steps for the last stage: the held-out accuracy still rose in the last epochs of 1,1,1,1,3
    'lr 0.02, epochs 1,1,1,1,6, discr 1.6': dict(lr=0.02, epochs=(1, 1, 1, 1, 6), discr=1.6),   # the sample_fwd preset
    'lr 0.01, epochs 1,1,1,1,6, discr 1.6': dict(lr=0.01, epochs=(1, 1, 1, 1, 6), discr=1.6),
    'lr 0.02, epochs 1,1,2,2,4, discr 1.6': dict(lr=0.02, epochs=(1, 1, 2, 2, 4), discr=1.6),
    # for the two directions' ensemble, which must fit both classifiers in the ten minutes of the default run
    'lr 0.02, epochs 1,1,1,1,4, discr 1.6': dict(lr=0.02, epochs=(1, 1, 1, 1, 4), discr=1.6),   # the sample preset
    # for the five-minute default run: twice the batch, so half the steps per epoch
    'lr 0.02, epochs 1,1,1,1,4, discr 1.6, bs 64': dict(lr=0.02, epochs=(1, 1, 1, 1, 4), discr=1.6, bs=64),
}

def candidate_recipe(over:dict):
    "The sample presets' common classifier recipe with the changes `over`."
    over = dict(over)
    epochs = over.pop('epochs', None)
    r = replace(PRESETS['sample'].clas, **over)
    return r if epochs is None else r.with_epochs(epochs)

def fold_splits(train, n_folds:int) -> list:
    "For each fold `k < n_folds`: `train` with `is_valid` marking its k-th stratified fifth."
    fifth = {i: k % 5 for _, g in train.groupby('label') for k, i in enumerate(g.sample(frac=1, random_state=0).index)}
    return [train.assign(is_valid=train.index.map(fifth) == k) for k in range(n_folds)]

def fold_probs(train, lm_dir, vocab, recipe, seed:int, backward:bool=False, precision:str='fp32') -> tuple:
    "A classifier trained on `train`'s training rows from `lm_dir` (with its `vocab`): `(history, probs, targets)` of the held-out rows."
    dls = clas_dls(train, vocab, bs=recipe.bs, bptt=recipe.bptt, seed=seed, backward=backward)
    set_seed(seed)
    learn = set_precision(clas_learner(dls, lm_dir, recipe), precision)
    with learn.no_bar(), learn.no_logging():
        h = gradual_unfreeze(learn, recipe)
        probs, targs = learn.get_preds(dl=dls.valid)
    return h, probs.float().numpy(), targs.numpy()

def main(lm_dir, names=(), n_folds:int=1, bwd_lm_dir=None, precision:str='fp32', preds=None):
    df = labeled_df(imdb_sample_path())
    folds = fold_splits(df[~df.is_valid], n_folds)
    seed = PRESETS['sample'].seed
    dirs = {'fwd': lm_dir, **({'bwd': bwd_lm_dir} if bwd_lm_dir else {})}
    vocabs = {d: load_lm(path)[1] for d, path in dirs.items()}   # read once: every fold numbers its reviews with it
    for name, over in CANDIDATES.items():
        if names and name not in names: continue
        recipe, right, hits = candidate_recipe(over), {}, {}
        for k, train in enumerate(folds):
            t0, probs, row = time.time(), {}, {'candidate': name, 'fold': k}
            for d, path in dirs.items():
                h, probs[d], targs = fold_probs(train, path, vocabs[d], recipe, seed, backward=d == 'bwd', precision=precision)
                row[f'{d}_per_epoch'] = h.accuracy.round(3).tolist()
            if bwd_lm_dir: probs['ensemble'] = (probs['fwd'] + probs['bwd']) / 2
            for d, p in probs.items():
                hit = p.argmax(1) == targs
                row[d], right[d] = float(hit.mean()), right.get(d, 0) + int(hit.sum())
                hits.setdefault(d, []).append(hit)
            print(json.dumps({**row, 'seconds': round(time.time() - t0)}), flush=True)
        n = sum(int(t.is_valid.sum()) for t in folds)
        print(json.dumps({'candidate': name, 'folds': n_folds, 'held_out_reviews': n,
                          **{f'{d}_accuracy': r / n for d, r in right.items()},
                          'standard_error': max((r / n * (1 - r / n) / n) ** 0.5 for r in right.values())}), flush=True)
        if preds:   # right or wrong, review by review (the folds' held-out reviews in order): for paired comparisons
            np.savez(preds, **{d: np.concatenate(h) for d, h in hits.items()})
    # the bar to clear: the bag-of-words baselines (lesson 09) trained and scored on exactly the same folds
    scores = [bow_baselines(train, seed=seed) for train in folds]
    for b in scores[0]:
        print(json.dumps({'baseline': b, 'folds': n_folds, 'per_fold': [s[b]['accuracy'] for s in scores],
                          'held_out_accuracy': sum(s[b]['accuracy'] for s in scores) / n_folds}), flush=True)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('lm_dir', help="a finetune_lm folder with lm.pth (runs/sample/lm_fwd after `ulmfit-imdb --out runs/sample`)")
    p.add_argument('candidates', nargs='*', help=f"names of CANDIDATES (default: all): {list(CANDIDATES)}")
    p.add_argument('--folds', type=int, default=1, choices=range(1, 6), help="held-out fifths to score on (default 1)")
    p.add_argument('--bwd', help="a backward finetune_lm folder (runs/sample/lm_bwd after `ulmfit-imdb --out runs/sample`): "
                   "each candidate then trains a backward classifier too, and their ensemble is scored")
    p.add_argument('--precision', default='auto', choices=['auto', 'fp32', 'bf16'], help="the classifiers' precision (auto: "
                   "as `ulmfit-imdb`, bfloat16 autocast on a CPU with bfloat16 instructions, else float32)")
    p.add_argument('--preds', help="write each held-out review's right/wrong here (.npz; one candidate), for paired comparisons")
    a = p.parse_intermixed_args()   # options and candidate names in any order
    try: precision, why = resolve_precision(a.precision, 'cpu')
    except ValueError as e: sys.exit(str(e))
    print(f'precision: {why}', file=sys.stderr, flush=True)
    if a.preds and len(a.candidates) != 1: sys.exit('--preds needs exactly one candidate')
    for d in (a.lm_dir, a.bwd):
        if d and not (Path(d)/'lm.pth').exists(): sys.exit(f"{d} has no lm.pth: give a finetune_lm folder "
                                                            "(runs/sample/lm_fwd after `ulmfit-imdb --out runs/sample`)")
    unknown = [n for n in a.candidates if n not in CANDIDATES]
    if unknown: sys.exit(f"unknown candidate {unknown[0]!r}: choose from {list(CANDIDATES)}")
    main(a.lm_dir, a.candidates, a.folds, a.bwd, precision, a.preds)
