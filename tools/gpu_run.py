#!/usr/bin/env python
"""A time-boxed IMDB run from packed tokens (`tools/pack_imdb_tokens.py`), for a GPU machine without spaCy or the data.

The language model (the paper's sizes, random weights: no WT103 offline) trains on every review's text, with the
paper's STLR and discriminative rates, for as many whole epochs as `--lm-minutes` allows (measured on 20 warm-up steps);
then the classifier by gradual unfreezing on the 25,000 training reviews, scored on the 25,000 test reviews.

    python tools/gpu_run.py --tokens .devdata/imdb_tokens.npz --precision bf16 --out $OUT
    python tools/gpu_run.py --tokens /tmp/sample_tokens.npz --tiny --device cpu --out /tmp/dry   # a dry run
"""
import argparse, json, math, platform, time
from dataclasses import replace
from pathlib import Path
import numpy as np, torch
from fastai.data.core import DataLoaders
from fastai.callback.core import Callback, CancelFitException
from ulmfit_course.awd_lstm import lm_config
from ulmfit_course.tokens import Vocab
from ulmfit_course.lm_data import lm_dls, split_docs
from ulmfit_course.pretrain import save_lm
from ulmfit_course.finetune import PAPER_LM, discriminative_lrs, lm_learner
from ulmfit_course.classifier import ClasLoader
from ulmfit_course.clas_training import PAPER_CLAS, clas_learner, gradual_unfreeze
from ulmfit_course.utils import resolve_precision, set_precision


def load_pack(fname):
    z = np.load(fname)
    o = z['offsets']
    docs = [z['ids'][o[i]:o[i + 1]].astype(np.int64) for i in range(len(o) - 1)]
    return Vocab(list(z['itos'])), docs, z['split'], z['label']


def with_precision(learn, precision, dev):
    "The course's precision path (lesson 12): fastai's `to_fp16()`, the course's `Autocast` for bf16, or float32."
    return set_precision(learn, resolve_precision(precision, dev)[0])


def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize()


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--tokens', required=True); p.add_argument('--out', required=True)
    p.add_argument('--device', default='cuda'); p.add_argument('--precision', default='bf16', choices=['fp32', 'fp16', 'bf16'])
    p.add_argument('--lm-minutes', type=float, default=3.5); p.add_argument('--bs', type=int, default=256)
    p.add_argument('--bptt', type=int, default=80); p.add_argument('--clas-bs', type=int, default=64)
    p.add_argument('--tiny', action='store_true', help='tiny sizes and 300 reviews of each kind: a dry run of the plumbing')
    a = p.parse_args()
    dev, out, t_all = torch.device(a.device), Path(a.out), time.time()
    out.mkdir(parents=True, exist_ok=True)
    vocab, docs, split, label = load_pack(a.tokens)
    cfg = replace(lm_config(), emb_sz=16, n_hid=32, n_layers=3) if a.tiny else lm_config()
    lm_docs = docs[:300] if a.tiny else docs
    train, valid = split_docs(lm_docs, valid_pct=0.1, seed=42)
    dls = lm_dls(train, valid, bs=a.bs, bptt=a.bptt, seed=42, device=dev)
    recipe = replace(PAPER_LM, bs=a.bs, bptt=a.bptt, lr=1e-2)
    learn = with_precision(lm_learner(dls, len(vocab.itos), cfg, recipe, path=out), a.precision, dev)
    # 20 warm-up steps give the step time, hence how many whole epochs fit in the budget
    t0, n_warm = time.time(), min(20, len(dls.train))
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=StopAfter(n_warm))
    sync(dev); step_s = (time.time() - t0) / n_warm
    n_epochs = max(1, math.floor(a.lm_minutes * 60 / (step_s * len(dls.train))))
    t0 = time.time()
    with learn.no_bar(): learn.fit_stlr(n_epochs, discriminative_lrs(recipe.lr, cfg.n_layers + 1))
    sync(dev); lm_s = time.time() - t0
    n_tok = sum(len(d) for d in train) * n_epochs
    res = {'hardware': torch.cuda.get_device_name(0) if dev.type == 'cuda' else platform.processor() or platform.machine(),
           'precision': a.precision, 'lm': {'sizes': [cfg.emb_sz, cfg.n_hid, cfg.n_layers], 'bs': a.bs, 'bptt': a.bptt,
           'epochs': n_epochs, 'seconds': lm_s, 'train_tokens_per_s_validation_included': n_tok / lm_s,
           'valid_perplexity': float(learn.recorder.values[-1][-1])}}
    save_lm(learn.model, vocab, cfg, out/'lm')
    write(res, out)   # the language model's figures survive a classifier stage cut short by a time limit
    # the tiny run takes 300 reviews of each split at random (the files come sorted by label)
    pick = lambda s: np.random.default_rng(0).permutation(np.flatnonzero(split == s))[:300] if a.tiny else np.flatnonzero(split == s)
    tr, te = pick(1), pick(2)
    kw = dict(bs=a.clas_bs, bptt=72, vocab=vocab, classes=['neg', 'pos'])
    cdls = DataLoaders(ClasLoader([docs[i] for i in tr], label[tr], shuffle=True, drop_last=True, seed=42, **kw),
                       ClasLoader([docs[i] for i in te[:8]], label[te[:8]], **kw), device=dev)
    t0 = time.time()
    clearn = with_precision(clas_learner(cdls, out/'lm', PAPER_CLAS), a.precision, dev)
    with clearn.no_bar(), clearn.no_logging(): gradual_unfreeze(clearn, PAPER_CLAS)
    probs, y = clearn.get_preds(dl=ClasLoader([docs[i] for i in te], label[te], device=dev, **kw))
    sync(dev)
    res['clas'] = {'train_reviews': len(tr), 'test_reviews': len(te), 'epochs': list(PAPER_CLAS.epochs),
                   'seconds': time.time() - t0, 'test_accuracy': float((probs.argmax(1) == y).float().mean())}
    res['total_seconds'] = time.time() - t_all
    write(res, out)


def write(res, out):
    (out/'gpu_run.json').write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))


class StopAfter(Callback):
    "End the fit after `n` training batches."
    def __init__(self, n): self.n = n
    def after_batch(self):
        if self.training and self.train_iter >= self.n: raise CancelFitException()


if __name__ == '__main__':
    main()
