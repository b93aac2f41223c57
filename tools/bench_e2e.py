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

Prints markdown tables: wall time per stage, total and test accuracy, with the ratio fastai / ours, and the hardware;
what each fit did (batches, tokens, seconds training and validating); and time to accuracy: the test accuracy after
each classifier epoch against the wall time since the pipeline started, with the time each took to reach fastai's
final accuracy. `--plot FILE` draws that curve. A benchmark, not a test: run it on a quiet machine.

    python tools/bench_e2e.py                       # the shipped sample (about half an hour on 2 cores)
    python tools/bench_e2e.py --data /path/to/imdb  # any folder in fastai's IMDB layout
    python tools/bench_e2e.py --tiny                # a few hundred reviews and one short epoch per stage: a smoke run
    python tools/bench_e2e.py --plot nbs/images/time_to_accuracy.png
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from dataclasses import replace
from pathlib import Path
import torch
from fastai.callback.core import Callback


def tiny_copy(src: Path, dst: Path, n: int = 120) -> Path:
    "A copy of `n` reviews of each folder of `src` (train/test pos/neg, unsup), for a smoke run."
    for sub in ('train/pos', 'train/neg', 'test/pos', 'test/neg', 'unsup'):
        (dst/sub).mkdir(parents=True, exist_ok=True)
        for f in sorted((src/sub).glob('*.txt'))[:n]: shutil.copy(f, dst/sub/f.name)
    return dst


class Clock(Callback):
    "Per fit: batches and tokens trained, seconds training and validating; after each classifier epoch: seconds since `t0`, accuracy."
    order = 60   # after fastai's `Recorder` (50), whose log it reads
    def __init__(self, t0:float): self.t0, self.fits, self.curve = t0, [], []
    def before_fit(self):   # also called by `validate()` and `get_preds()`
        self.lm = 'perplexity' in self.recorder.metric_names
        self.fits.append(dict(what='LM fit' if self.lm else 'classifier fit', epochs=0, batches=0, tokens=0, train_s=0., valid_s=0.))
    def after_fit(self):
        if not self.fits[-1]['batches']: self.fits[-1]['what'] = 'validation pass, no training'
    def before_train(self): self.t = time.perf_counter()
    def after_train(self): self.fits[-1]['train_s'] += time.perf_counter() - self.t
    def before_validate(self): self.t = time.perf_counter()
    def after_validate(self): self.fits[-1]['valid_s'] += time.perf_counter() - self.t
    def after_batch(self):
        if self.training: self.fits[-1]['batches'] += 1; self.fits[-1]['tokens'] += self.xb[0].numel()
    def after_epoch(self):
        self.fits[-1]['epochs'] += self.fits[-1]['batches'] > 0
        names, log = self.recorder.metric_names, self.recorder.log
        if not self.lm and 'accuracy' in names and isinstance(log[names.index('accuracy')], float):
            self.curve.append((time.time() - self.t0, log[names.index('accuracy')]))


def ours(path: Path, cfg, work: Path) -> dict:
    "The course's pipeline, cold: its own token cache and output folder."
    os.environ['ULMFIT_CACHE'] = str(work/'cache')
    from ulmfit_course.pipeline import run_imdb
    t0 = time.time()
    clock = Clock(t0)
    m = run_imdb(cfg, out=work/'run', progress=False, cbs=[clock])
    s = m['seconds']
    return {'LM (tokenize + fine-tune)': s['lm_fwd'], 'classifier (tokenize + train + test)': s['clas_fwd'],
            'total': time.time() - t0, 'accuracy': m['accuracy']['fwd'], 'fits': clock.fits, 'curve': clock.curve}


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
    t0, clock = time.time(), Clock(t_all)
    texts = get_files(data, extensions=['.txt'], folders=['unsup', 'train', 'test'])
    dsets = Datasets(texts, [[Tokenizer.from_folder(data), Numericalize(max_vocab=cfg.max_vocab)]],
                     splits=RandomSplitter(valid_pct=0.1, seed=cfg.seed)(texts), dl_type=LMDataLoader)
    dls_lm = dsets.dataloaders(bs=cfg.lm.bs, seq_len=cfg.lm.bptt, val_bs=cfg.lm.bs)
    fastai_weights(data/'models')
    learn = language_model_learner(dls_lm, AWD_LSTM, config=cfg.model.fastai_config(), drop_mult=1.,
                                   opt_func=partial(Adam, wd=0.1), metrics=[accuracy, Perplexity()], path=data,
                                   pretrained=True, pretrained_fnames=['small', 'small'], cbs=clock)
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
                                    opt_func=partial(Adam, wd=0.1), metrics=[accuracy], path=data, pretrained=False, cbs=clock)
    learn.load_encoder('finetuned')
    lr, n_groups = cfg.clas.lr, 5
    with learn.no_bar(), learn.no_logging():
        for k, n_epoch in enumerate(cfg.clas.epochs):   # the same stages as ours: one more group each, all in the last
            learn.freeze_to(-(k + 1)) if k + 1 < len(cfg.clas.epochs) else learn.unfreeze()
            learn.fit_one_cycle(n_epoch, lr if k == 0 else slice(lr / 2.6 ** (n_groups - 1), lr), moms=(0.8, 0.7, 0.8), wd=0.1)
            lr /= 2
    res['classifier (tokenize + train + test)'] = time.time() - t0
    res['total'] = time.time() - t_all   # the last epoch's validation scored the test reviews already
    res['accuracy'], res['fits'], res['curve'] = clock.curve[-1][1], clock.fits, clock.curve
    return res


def fits_table(rows:dict) -> str:
    "What each fit of each pipeline did, as a markdown table."
    out = ['| pipeline | fit | epochs | batches | tokens | training s | tokens/s | validating s |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |']
    for name, r in rows.items():
        for f in r['fits']:
            rate = f"{f['tokens'] / f['train_s']:,.0f}" if f['train_s'] else ''
            out.append(f"| {name} | {f['what']} | {f['epochs']} | {f['batches']:,} | {f['tokens']:,} | {f['train_s']:.0f} | {rate} | {f['valid_s']:.0f} |")
    return '\n'.join(out)


def time_to(curve:list, target:float):
    "Seconds until the first epoch at `target` accuracy or above (None if never)."
    return next((t for t, acc in curve if acc >= target - 1e-9), None)


def curve_table(rows:dict) -> str:
    "Accuracy after each classifier epoch against wall time since the start, and the time to fastai's final accuracy."
    target = rows['fastai']['accuracy']
    out = ['| pipeline | accuracy after each classifier epoch (seconds since the start) | time to fastai\'s final accuracy |',
           '| --- | --- | ---: |']
    for name, r in rows.items():
        t = time_to(r['curve'], target)
        out.append(f"| {name} | " + ', '.join(f'{acc:.1%} ({s:.0f})' for s, acc in r['curve'])
                   + f" | {'never' if t is None else f'{t:.0f} s'} |")
    t_o, t_f = time_to(rows['ours']['curve'], target), time_to(rows['fastai']['curve'], target)
    ratio = f'{t_o / t_f:.2f}x' if t_o and t_f else 'n/a'
    return '\n'.join(out) + f"\n\nOurs reached fastai's final {target:.1%} in {ratio} fastai's time."


def plot_curves(rows:dict, fname:Path, title:str):
    "Test accuracy after each classifier epoch against wall time since the start, both pipelines, into `fname`."
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for name, r in rows.items():
        ts, accs = zip(*r['curve'])
        ax.plot([t / 60 for t in ts], [100 * a for a in accs], 'o-', label=name)
    ax.axhline(100 * rows['fastai']['accuracy'], color='grey', ls=':', lw=1, label="fastai's final accuracy")
    ax.set(xlabel='minutes since the start (tokenizing and LM stage included)', ylabel='test accuracy (%)', title=title)
    ax.grid(alpha=.3); ax.legend(loc='lower right')
    fig.tight_layout(); fig.savefig(fname, dpi=120)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', help="an IMDB folder in fastai's layout (default: the shipped sample)")
    p.add_argument('--tiny', action='store_true', help='120 reviews per folder and one epoch per stage: a smoke run')
    p.add_argument('--plot', help='draw accuracy against time into this .png')
    p.add_argument('--keep-freed-memory', action='store_true', help="both pipelines under lesson 12's `keep_freed_memory` "
                   "(as `ulmfit-imdb` runs); default: glibc's settings")
    p.add_argument('--only', choices=['ours', 'fastai'], help=argparse.SUPPRESS)   # one pipeline, in a process of its own
    p.add_argument('--json', help=argparse.SUPPRESS)
    a = p.parse_args()
    from ulmfit_course.data import imdb_path
    path = imdb_path(a.data)
    if a.only: return one_pipeline(a, path)
    rows = {}
    with tempfile.TemporaryDirectory(prefix='ulmfit-bench-') as d:
        for name in ('ours', 'fastai'):   # each in a fresh process: neither inherits the other's heap or caches
            out = Path(d)/f'{name}.json'
            cmd = [sys.executable, __file__, '--only', name, '--json', str(out), '--data', str(path)]
            subprocess.run(cmd + ['--tiny'] * a.tiny + ['--keep-freed-memory'] * a.keep_freed_memory, check=True,
                           stdout=sys.stderr)   # the pipelines' own logs go to the terminal, not into the report
            rows[name] = json.loads(out.read_text())
    if a.tiny: path = f'{path} (a tiny copy)'
    from ulmfit_course.pipeline import hardware
    hw = hardware(torch.device('cpu'))
    cpu = f"{hw['cpu']}, {hw['cores']} cores"
    memory = "lesson 12's keep_freed_memory" if a.keep_freed_memory else "glibc's default memory settings"
    print(f"\n{cpu}, torch {hw['torch']}, fastai {hw['fastai']}, data {path}; each pipeline in a fresh process, {memory}\n")
    print('| | ours | fastai stock | fastai / ours |\n| --- | --- | --- | --- |')
    for k in rows['ours']:
        o, f = rows['ours'][k], rows['fastai'][k]
        if k == 'accuracy': print(f'| test accuracy | {o:.1%} | {f:.1%} | |')
        elif k not in ('fits', 'curve'): print(f'| {k} | {o:.0f} s | {f:.0f} s | {f / o:.2f}x |')
    print('\nWhat each fit did:\n\n' + fits_table(rows))
    print('\nTime to accuracy:\n\n' + curve_table(rows))
    if a.plot:
        plot_curves(rows, Path(a.plot), f"ours and fastai's stock pipeline on the shipped sample\n({cpu})")
        print(f'\n![test accuracy against wall time]({a.plot})')


def one_pipeline(a, path):
    "Run one pipeline (`a.only`) in this process and write what it measured to `a.json`."
    torch.set_num_threads(os.cpu_count() or 1)
    if a.keep_freed_memory:
        from ulmfit_course.utils import keep_freed_memory
        keep_freed_memory()
    from ulmfit_course.pipeline import PRESETS
    with tempfile.TemporaryDirectory(prefix='ulmfit-bench-') as d:
        d = Path(d)
        cfg = replace(PRESETS['sample_fwd'], lm_n_docs=None, data=str(path))   # fastai's recipe reads every text: so do we
        if a.tiny:
            path = tiny_copy(path, d/'tiny')
            cfg = replace(cfg, data=str(path), clas=cfg.clas.with_epochs((1, 1)))
        res = (ours if a.only == 'ours' else fastai_stock)(path, cfg, d/a.only)
    Path(a.json).write_text(json.dumps(res))


if __name__ == '__main__':
    main()
