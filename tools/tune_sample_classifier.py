#!/usr/bin/env python
"""Choose the `sample` preset's classifier settings on a held-out fifth of the sample's training reviews.

The sample's 1,000 test reviews play no part: the 2,000 labelled training reviews are split 1,600 / 400 (stratified,
seed 0), each candidate trains on the 1,600 from the same fine-tuned language model, and the held-out accuracy after
the last stage picks the winner.

    ulmfit-imdb --out runs/sample                               # any sample run, for its fine-tuned encoder
    python tools/tune_sample_classifier.py runs/sample/lm_fwd
    python tools/tune_sample_classifier.py runs/sample/lm_fwd 'lr 0.02, epochs 1,1,1,1,3, one rate'   # some of them

Prints one JSON line per candidate: the held-out accuracy after each epoch, and the seconds it took.
"""
import json, sys, time
from dataclasses import replace
from pathlib import Path

from fastai.torch_core import set_seed
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ulmfit_course.data import imdb_sample_path, labeled_df
from ulmfit_course.pretrain import load_lm
from ulmfit_course.classifier import clas_dls
from ulmfit_course.clas_training import clas_learner, gradual_unfreeze
from ulmfit_course.pipeline import PRESETS

CANDIDATES = {  # changes to the sample preset's classifier recipe (ClasRecipe fields; `epochs`: one stage per count)
    'lr 0.01, epochs 1,1,1,1,2': dict(lr=0.01, epochs=(1, 1, 1, 1, 2)),
    'lr 0.01, epochs 1,1,1,1,4': dict(lr=0.01, epochs=(1, 1, 1, 1, 4)),
    'lr 0.02, epochs 1,1,1,1,2': dict(lr=0.02, epochs=(1, 1, 1, 1, 2)),
    'lr 0.01, epochs 1,1,1,1,2, drop_mult 0.3': dict(lr=0.01, epochs=(1, 1, 1, 1, 2), drop_mult=0.3),
    'lr 0.04, epochs 1,1,1,1,2': dict(lr=0.04, epochs=(1, 1, 1, 1, 2)),
    'lr 0.02, epochs 1,1,1,1,3': dict(lr=0.02, epochs=(1, 1, 1, 1, 3)),
    # one rate for every group (lesson 10: discriminative rates cost points at 500 labels)
    'lr 0.02, epochs 1,1,1,1,3, one rate': dict(lr=0.02, epochs=(1, 1, 1, 1, 3), discr=1.),
    'lr 0.01, epochs 1,1,1,1,3, one rate': dict(lr=0.01, epochs=(1, 1, 1, 1, 3), discr=1.),
    'lr 0.02, epochs 1,1,1,1,3, discr 1.6': dict(lr=0.02, epochs=(1, 1, 1, 1, 3), discr=1.6),
}

def candidate_recipe(over:dict):
    "The sample preset's classifier recipe with the changes `over`."
    over = dict(over)
    epochs = over.pop('epochs', None)
    r = replace(PRESETS['sample'].clas, **over)
    return r if epochs is None else r.with_epochs(epochs)

def main(lm_dir, names=None):
    _, vocab, _ = load_lm(lm_dir)
    df = labeled_df(imdb_sample_path())
    train = df[~df.is_valid].copy()
    train['is_valid'] = train.index.isin(train.groupby('label').sample(frac=0.2, random_state=0).index)
    seed = PRESETS['sample'].seed
    for name, over in CANDIDATES.items():
        if names and name not in names: continue
        recipe, t0 = candidate_recipe(over), time.time()
        dls = clas_dls(train, vocab, bs=recipe.bs, bptt=recipe.bptt, seed=seed)
        set_seed(seed)
        learn = clas_learner(dls, lm_dir, recipe)
        with learn.no_bar(), learn.no_logging(): h = gradual_unfreeze(learn, recipe)
        print(json.dumps({'candidate': name, 'held_out_accuracy': float(h.accuracy.iloc[-1]),
                          'per_epoch': h.accuracy.round(3).tolist(), 'seconds': round(time.time() - t0)}), flush=True)

if __name__ == '__main__':
    if len(sys.argv) < 2 or not (Path(sys.argv[1])/'lm.pth').exists():
        sys.exit("usage: python tools/tune_sample_classifier.py LM_DIR [CANDIDATE ...], LM_DIR a finetune_lm folder "
                 "with lm.pth (runs/sample/lm_fwd after `ulmfit-imdb --out runs/sample`)")
    unknown = [n for n in sys.argv[2:] if n not in CANDIDATES]
    if unknown: sys.exit(f"unknown candidate {unknown[0]!r}: choose from {list(CANDIDATES)}")
    main(sys.argv[1], sys.argv[2:])
