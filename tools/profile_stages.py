#!/usr/bin/env python
"""Where the time of each stage goes: `ulmfit-imdb`'s pipeline run once under cProfile, one profile per stage.

`run_imdb` runs as it is (by default the `sample_fwd` preset, one direction, on the shipped sample, cold token
cache); its three stages, `finetune_lm` (tokenizing and LM fine-tuning), `train_classifier` (the classifier's tokens
and gradual unfreezing, test predictions) and `bow_baselines`, are each wrapped in their own profiler. Prints, per
stage, the seconds spent in each kind of code (own time of the functions, so the rows add up to the stage), then its
slowest functions.
A benchmark, not a test: run it on a quiet machine; cProfile itself adds some overhead to Python-heavy code.

    python tools/profile_stages.py                 # the sample (about 10 minutes on 2 cores)
    python tools/profile_stages.py --tiny          # 200 reviews, one short epoch per stage: a smoke run
    python tools/profile_stages.py --data /path/to/imdb --preset cpu
"""
import argparse, cProfile, os, platform, pstats, tempfile, time
from dataclasses import replace

KINDS = (  # (kind, test on (file, function name)); the first that matches wins
    ('autograd backward (C++)', lambda f, n: 'run_backward' in n),
    ('LSTM kernels (C++)', lambda f, n: f == '~' and 'lstm' in n.lower()),
    ('other torch ops (C++)', lambda f, n: f == '~' and 'torch' in n),
    ('waiting for worker processes', lambda f, n: f == '~' and any(k in n for k in ('acquire', 'poll', 'select', 'recv', 'wait'))),
    ('torch (Python)', lambda f, n: '/torch/' in f),
    ('fastai, fastcore, fastprogress (Python)', lambda f, n: any(k in f for k in ('/fastai/', '/fastcore/', '/fastprogress/'))),
    ('ulmfit_course (Python)', lambda f, n: '/ulmfit_course/' in f),
    ('numpy, pandas, scikit-learn, scipy', lambda f, n: any(k in f for k in ('/numpy/', '/pandas/', '/sklearn/', '/scipy/'))
                                                       or any(k in n for k in ('numpy', 'scipy', 'sklearn'))),
    ('everything else', lambda f, n: True),
)


def kind(file:str, name:str) -> str: return next(k for k, test in KINDS if test(file, name))


def profiled(name:str, fn, profiles:dict):
    "`fn`, run under a profiler of its own, kept in `profiles[name]` with its wall time."
    def wrapper(*args, **kwargs):
        prof, t0 = cProfile.Profile(), time.time()
        try: return prof.runcall(fn, *args, **kwargs)
        finally: profiles[name] = (pstats.Stats(prof), time.time() - t0)
    return wrapper


def breakdown(stats:pstats.Stats) -> dict:
    "`{kind: own seconds}` over all functions of a profile."
    out = {}
    for (file, _, name), (_, _, own, _, _) in stats.stats.items():
        k = kind(file, name)
        out[k] = out.get(k, 0.) + own
    return out


def slowest(stats:pstats.Stats, n:int=6) -> list:
    "The `n` functions with the most own time: `(seconds, 'file:line(name)')`."
    rows = sorted(((own, f"{os.path.basename(f)}:{l}({fn})") for (f, l, fn), (_, _, own, _, _) in stats.stats.items()), reverse=True)
    return rows[:n]


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=None, help="IMDB folder or .tgz (default: the shipped sample)")
    p.add_argument('--preset', default='sample_fwd')
    p.add_argument('--tiny', action='store_true', help="a smoke run: 200 reviews, tiny epochs")
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix='ulmfit-profile-')
    os.environ['ULMFIT_CACHE'] = os.path.join(work, 'cache')   # cold: tokenizing is part of the stages
    import torch
    from ulmfit_course import pipeline
    cfg = replace(pipeline.PRESETS[a.preset], data=a.data)
    if a.tiny: cfg = replace(cfg, lm_n_docs=200, clas_n_docs=200, lm=replace(cfg.lm, epochs=1), clas=cfg.clas.with_epochs((1, 1)))
    profiles = {}
    for stage, fn in (('finetune_lm', 'finetune_lm'), ('train_classifier', 'train_classifier'), ('bow_baselines', 'bow_baselines')):
        setattr(pipeline, fn, profiled(stage, getattr(pipeline, fn), profiles))
    t0 = time.time()
    m = pipeline.run_imdb(cfg, out=os.path.join(work, 'run'), progress=False)
    total = time.time() - t0
    stages = list(profiles)
    kinds = {s: breakdown(profiles[s][0]) for s in stages}
    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads); preset {cfg.preset}{' (tiny)' if a.tiny else ''}; "
          f"{m['n_train']:,} labelled training reviews, {m['n_test']:,} test; accuracy {m['accuracy']['fwd']:.1%}; "
          f"{total:.0f} s in all\n")
    print('| own time in | ' + ' | '.join(stages) + ' |')
    print('| --- |' + ' --- |' * len(stages))
    for k, _ in KINDS:
        cells = [f"{kinds[s].get(k, 0.):.1f} s ({100 * kinds[s].get(k, 0.) / max(sum(kinds[s].values()), 1e-9):.0f}%)" for s in stages]
        print(f"| {k} | " + ' | '.join(cells) + ' |')
    print('| **wall time of the stage** | ' + ' | '.join(f"**{profiles[s][1]:.1f} s**" for s in stages) + ' |')
    for s in stages:
        print(f"\n{s}, slowest functions (own time):")
        for own, where in slowest(profiles[s][0]): print(f"  {own:7.1f} s  {where}")
