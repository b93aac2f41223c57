#!/usr/bin/env python
"""End to end on the same machine in one run: the course's pipeline against fastai's stock API.

Both start from the shipped small language model, read the same IMDB folder (by default the shipped sample) and
use the same sizes, vocabulary size, batch sizes, BPTT and epoch counts (the `sample_fwd` preset's: one direction,
as fastai's example trains):

- **ours**: `run_imdb` (lesson 09), from a cold token cache: tokenize, LM fine-tuning (frozen, then unfrozen, STLR and
  discriminative rates), the classifier by gradual unfreezing, test accuracy;
- **fastai**: the recipe of fastai's IMDB example, written with fastai's own API: `Tokenizer.from_folder`,
  `Datasets` with `LMDataLoader` and `SortedDL`, `language_model_learner`, `text_classifier_learner`,
  `fit_one_cycle` at each stage, from a cold tokenized folder.

Prints a markdown table of wall time per stage, total and test accuracy, with the ratio fastai / ours, and the
hardware. A benchmark, not a test: run it on a quiet machine.

    python tools/bench_e2e.py                       # the shipped sample (about half an hour on 2 cores)
    python tools/bench_e2e.py --data /path/to/imdb  # any folder in fastai's IMDB layout
    python tools/bench_e2e.py --tiny                # a few hundred reviews and one short epoch per stage: a smoke run
"""
import argparse, os, platform, shutil, tempfile, time
from dataclasses import replace
from pathlib import Path
import torch


def tiny_copy(src: Path, dst: Path, n: int = 120) -> Path:
    "A copy of `n` reviews of each folder of `src` (train/test pos/neg, unsup), for a smoke run."
    for sub in ('train/pos', 'train/neg', 'test/pos', 'test/neg', 'unsup'):
        (dst/sub).mkdir(parents=True, exist_ok=True)
        for f in sorted((src/sub).glob('*.txt'))[:n]: shutil.copy(f, dst/sub/f.name)
    return dst


def ours(path: Path, cfg, work: Path) -> dict:
    "The course's pipeline, cold: its own token cache and output folder."
    os.environ['ULMFIT_CACHE'] = str(work/'cache')
    from ulmfit_course.pipeline import run_imdb
    t0 = time.time()
    m = run_imdb(cfg, out=work/'run', progress=False)
    s = m['seconds']
    return {'LM (tokenize + fine-tune)': s['lm_fwd'], 'classifier (tokenize + train + test)': s['clas_fwd'],
            'total': time.time() - t0, 'accuracy': m['accuracy']['fwd']}


def fastai_weights(models: Path):
    "The shipped model as fastai's `language_model_learner(pretrained_fnames=...)` reads it: fp32, every key."
    from ulmfit_course.awd_lstm import load_wt103
    from ulmfit_course.pretrain import small_lm_path
    sd, itos = load_wt103('fwd', path=small_lm_path())
    sd = {k: v.float() for k, v in sd.items()}
    sd.setdefault('0.encoder_dp.emb.weight', sd['0.encoder.weight'])
    sd.setdefault('1.decoder.weight', sd['0.encoder.weight'])
    models.mkdir(parents=True, exist_ok=True)
    torch.save(sd, models/'small.pth')
    import pickle
    with open(models/'small.pkl', 'wb') as f: pickle.dump(list(itos), f)


def fastai_stock(path: Path, cfg, work: Path) -> dict:
    "fastai's IMDB example with the same sizes and epochs, on a copy of the data (fastai writes its tokens beside it)."
    from fastai.text.all import (AWD_LSTM, Adam, Datasets, GrandparentSplitter, LMDataLoader, Numericalize, Perplexity,
                                 RandomSplitter, SortedDL, Tokenizer, accuracy, awd_lstm_clas_config,
                                 get_files, language_model_learner, pad_input_chunk, parent_label, Categorize,
                                 text_classifier_learner)
    from functools import partial
    data = work/'imdb'
    shutil.copytree(path, data)
    sizes = {k: getattr(cfg.model, k) for k in ('emb_sz', 'n_hid', 'n_layers')}
    res, t_all = {}, time.time()
    t0 = time.time()
    texts = get_files(data, extensions=['.txt'], folders=['unsup', 'train', 'test'])
    dsets = Datasets(texts, [[Tokenizer.from_folder(data), Numericalize(max_vocab=cfg.max_vocab)]],
                     splits=RandomSplitter(valid_pct=0.1, seed=cfg.seed)(texts), dl_type=LMDataLoader)
    dls_lm = dsets.dataloaders(bs=cfg.lm.bs, seq_len=cfg.lm.bptt, val_bs=cfg.lm.bs)
    fastai_weights(data/'models')
    learn = language_model_learner(dls_lm, AWD_LSTM, config=cfg.model.fastai_config(), drop_mult=1.,
                                   opt_func=partial(Adam, wd=0.1), metrics=[accuracy, Perplexity()], path=data,
                                   pretrained=True, pretrained_fnames=['small', 'small'])
    with learn.no_bar(), learn.no_logging():
        if cfg.lm.frozen_epochs: learn.fit_one_cycle(cfg.lm.frozen_epochs, 2e-2 * cfg.lm.bs / 256, moms=(0.8, 0.7, 0.8))
        learn.unfreeze()
        learn.fit_one_cycle(cfg.lm.epochs, cfg.lm.lr, moms=(0.8, 0.7, 0.8))
    learn.save_encoder('finetuned')
    res['LM (tokenize + fine-tune)'] = time.time() - t0
    t0 = time.time()
    texts = get_files(data, extensions=['.txt'], folders=['train', 'test'])
    dsets = Datasets(texts, [[Tokenizer.from_folder(data), Numericalize(vocab=dls_lm.vocab)], [parent_label, Categorize()]],
                     splits=GrandparentSplitter(valid_name='test')(texts), dl_type=SortedDL)
    dls = dsets.dataloaders(before_batch=pad_input_chunk, bs=cfg.clas.bs)
    learn = text_classifier_learner(dls, AWD_LSTM, config={**awd_lstm_clas_config, **sizes}, drop_mult=cfg.clas.drop_mult,
                                    opt_func=partial(Adam, wd=0.1), metrics=[accuracy], path=data, pretrained=False)
    learn.load_encoder('finetuned')
    lr, n_groups = cfg.clas.lr, 5
    with learn.no_bar(), learn.no_logging():
        for k, n_epoch in enumerate(cfg.clas.epochs):   # the same stages as ours: one more group each, all in the last
            learn.freeze_to(-(k + 1)) if k + 1 < len(cfg.clas.epochs) else learn.unfreeze()
            learn.fit_one_cycle(n_epoch, lr if k == 0 else slice(lr / 2.6 ** (n_groups - 1), lr), moms=(0.8, 0.7, 0.8), wd=0.1)
            lr /= 2
    res['classifier (tokenize + train + test)'] = time.time() - t0
    res['accuracy'] = float(learn.validate()[1])
    res['total'] = time.time() - t_all
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', help="an IMDB folder in fastai's layout (default: the shipped sample)")
    p.add_argument('--tiny', action='store_true', help='120 reviews per folder and one epoch per stage: a smoke run')
    a = p.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    from ulmfit_course.data import imdb_path
    from ulmfit_course.pipeline import PRESETS
    with tempfile.TemporaryDirectory(prefix='ulmfit-bench-') as d:
        d = Path(d)
        path = imdb_path(a.data)
        cfg = replace(PRESETS['sample_fwd'], lm_n_docs=None, data=str(path))   # fastai's recipe reads every text: so do we
        if a.tiny:
            path = tiny_copy(path, d/'tiny')
            cfg = replace(cfg, data=str(path), clas=cfg.clas.with_epochs((1, 1)))
        rows = {'ours': ours(path, cfg, d/'ours'), 'fastai': fastai_stock(path, cfg, d/'fastai')}
    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"data {path} ({'tiny copy' if a.tiny else 'as given'})\n")
    print('| | ours | fastai stock | fastai / ours |\n| --- | --- | --- | --- |')
    for k in rows['ours']:
        o, f = rows['ours'][k], rows['fastai'][k]
        if k == 'accuracy': print(f'| test accuracy | {o:.1%} | {f:.1%} | |')
        else: print(f'| {k} | {o:.0f} s | {f:.0f} s | {f / o:.2f}x |')


if __name__ == '__main__':
    main()
