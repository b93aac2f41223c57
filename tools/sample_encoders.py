#!/usr/bin/env python
"""The `sample` preset's two encoders for each direction: with its stage 2 (LM fine-tuning) and without it.

The default run's question is whether its stage 2 pays: the shipped small model has already read IMDB's 75,000
`unsup` and `train` reviews. This writes `OUT/with/lm_{fwd,bwd}` (the preset's LM recipe, as `ulmfit-imdb` runs it)
and `OUT/without/lm_{fwd,bwd}` (the shipped model on the same vocabulary, no epochs), and `OUT/encoders.json` with
each one's perplexity on the same held-out texts and the seconds it took. Then score each on held-out training reviews:

    python tools/sample_encoders.py --out runs/stage2
    python tools/tune_sample_classifier.py runs/stage2/with/lm_fwd --bwd runs/stage2/with/lm_bwd --folds 3 'lr 0.02, epochs 1,1,1,1,4, discr 1.6'
    python tools/tune_sample_classifier.py runs/stage2/without/lm_fwd --bwd runs/stage2/without/lm_bwd --folds 3 'lr 0.02, epochs 1,1,1,1,4, discr 1.6'
"""
import argparse, json, sys, time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ulmfit_course.finetune import finetune_lm
from ulmfit_course.pipeline import PRESETS, pretrained_weights

def build(cfg, recipe, backward:bool, out_dir) -> dict:
    "One encoder: the perplexity before and after `recipe` on the preset's held-out LM texts, and the seconds it took."
    t0 = time.time()
    lm = finetune_lm(pretrained=pretrained_weights(cfg, backward), recipe=recipe, cfg=cfg.model, n_docs=cfg.lm_n_docs,
                     backward=backward, seed=cfg.seed, max_vocab=cfg.max_vocab, out_dir=out_dir, progress=False)
    return dict(start=lm.start, final=lm.final, seconds=round(time.time() - t0, 1))

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default='runs/stage2', help='output folder')
    p.add_argument('--preset', default='sample')
    a = p.parse_args()
    cfg, out = PRESETS[a.preset], Path(a.out)
    recipes = {'with': cfg.lm, 'without': replace(cfg.lm, frozen_epochs=0, epochs=0)}
    res = {}
    for tag, recipe in recipes.items():
        for d in ('fwd', 'bwd'):
            res[f'{tag}/{d}'] = build(cfg, recipe, d == 'bwd', out/tag/f'lm_{d}')
            print(json.dumps({f'{tag}/{d}': res[f'{tag}/{d}']}), flush=True)
    (out/'encoders.json').write_text(json.dumps(res, indent=1))

if __name__ == '__main__': main()
