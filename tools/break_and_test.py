"""Break each mechanism the course teaches on purpose, one at a time, and check that its lesson's tests notice.

    python tools/break_and_test.py            # every breakage (31 breakages: about an hour on 2 cores)
    python tools/break_and_test.py freeze bptt  # the breakages whose names contain these words
    python tools/break_and_test.py --list

Each breakage replaces one exact piece of exported code in a notebook. The script works on a copy of the
repository in a temporary folder (your checkout is never touched): it applies the breakage, re-exports the
package there, runs the owning notebook under `nbdev-test` with that copy first on `PYTHONPATH`, and reports
whether the tests failed (caught) or passed (missed). It ends with a table and exits 1 if any breakage was missed.
"""
import argparse, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (name, notebook holding the code, exact code in one of its cells, what it becomes[, notebook whose tests must catch it])
BREAKAGES = [
    ('freeze: the LM frozen stage trains everything', '06_finetune.ipynb',
     "        learn.freeze()\n        fit('frozen'", "        fit('frozen'"),
    ('LM stages: a model trained from scratch gets a frozen stage too', '06_finetune.ipynb',
     'if frozen and recipe.frozen_epochs:', 'if recipe.frozen_epochs:'),
    ('gradual unfreezing: every stage trains all groups', '08_clas_training.ipynb',
     'learn.freeze_to(-n_train) if n_train < n else learn.unfreeze()', 'learn.unfreeze()'),
    ('skipped validation: the pass over the validation set runs anyway', '08_clas_training.ipynb',
     'def before_validate(self): raise CancelValidException()', 'def before_validate(self): pass'),
    ('discriminative rates: one rate for all groups', '06_finetune.ipynb',
     'return np.array([lr / factor**k for k in range(n_groups - 1, -1, -1)])',
     'return np.array([lr for k in range(n_groups - 1, -1, -1)])'),
    ('STLR: the cut at twice the warm-up', '06_finetune.ipynb',
     'cut = max(1, math.floor(T * cut_frac))', 'cut = max(1, math.floor(2 * T * cut_frac))'),
    ('variable-length BPTT: the rate is not scaled', '06_finetune.ipynb',
     "self.opt.set_hyper('lr', [lr * seq_len / self.bptt for lr in self.base])",
     "self.opt.set_hyper('lr', [lr for lr in self.base])"),
    ('embedding dropout: no mask', '03_dropouts.ipynb',
     'return F.embedding(words, self.emb.weight, self.emb.padding_idx) * mask[words]',
     'return F.embedding(words, self.emb.weight, self.emb.padding_idx)'),
    ('locked dropout: a new mask per time step', '03_dropouts.ipynb',
     'return x * dropout_mask(x.detach(), (x.size(0), 1, *x.shape[2:]), self.p)',
     'return x * dropout_mask(x.detach(), x.shape, self.p)'),
    ('weight dropout: the hidden-to-hidden weights are never dropped', '03_dropouts.ipynb',
     'w = F.dropout(raw, self.weight_p) if self.training and self.weight_p > 0 else raw.view_as(raw)',
     'w = raw.view_as(raw)'),
    ('AR: the activation penalty is left out', '03_dropouts.ipynb',
     'if self.alpha: self.learn.loss_grad = self.learn.loss_grad + self.alpha * self.dropped_out.float().pow(2).mean()',
     'pass'),
    ('TAR: the slowness penalty compares the wrong steps', '03_dropouts.ipynb',
     '(h[:, 1:] - h[:, :-1]).float().pow(2).mean()', '(h[1:] - h[:-1]).float().pow(2).mean()'),
    ('BPT3C: the state is not carried between chunks', '04_awd_lstm.ipynb',
     'self.hidden = [(h.detach(), c.detach()) for h, c in new_hidden]', 'self.hidden = None', '07_classifier.ipynb'),
    ('raw texts: many texts tokenized once per text', '07_classifier.ipynb',
     '        toks = [corpus[i] for i in range(len(corpus))]',
     '        toks = [tokenize_corpus(list(texts), cache=False)[i] for i in range(len(texts))]'),
    ('masked pooling: the mean counts the padding', '07_classifier.ipynb',
     'avg = output.masked_fill(mask[..., None], 0).sum(1) / n', 'avg = output.mean(1)'),
    ('vocabulary conversion: new words get zeros', '04_awd_lstm.ipynb',
     'new = old.mean(0, keepdim=True).repeat(len(new_itos), *[1] * (old.dim() - 1))',
     'new = (old.mean(0, keepdim=True) * 0).repeat(len(new_itos), *[1] * (old.dim() - 1))'),
    ('backward streams: the documents are not reversed', '02_lm_stream.ipynb',
     'if backward: self.docs = [d[::-1] for d in self.docs]', 'if backward: pass'),
    ('resume: the random states are not restored', '12_utils.ipynb',
     '_set_rng_states(self.pending[0]); _set_loader_state(self.dls.train, self.pending[1])', 'pass'),
    ('settings: a batch size of 0 is accepted', '12_utils.ipynb',
     "'positive': ('a positive integer', lambda v: is_int(v) and v >= 1)",
     "'positive': ('a positive integer', lambda v: is_int(v) and v >= 0)"),
    ('safe writes: the file is written in place, not through a temporary file', '12_utils.ipynb',
     '        write(tmp)\n        os.replace(tmp, fname)', '        write(fname)'),
    ('resume: the half-written files a kill left are kept', '12_utils.ipynb',
     '    for p in left: p.unlink(missing_ok=True)', '    pass'),
    ('freed memory: glibc keeps its default thresholds', '12_utils.ipynb',
     '    return all(mallopt(k, v) == 1 for k, v in', '    return True or all(mallopt(k, v) == 1 for k, v in'),
    ('run config: the language model ignores the run\'s LM recipe', '09_replication.ipynb',
     'recipe=cfg.lm, cfg=cfg.model', 'recipe=PAPER_LM, cfg=cfg.model'),
    ('run config: the classifier ignores the run\'s classifier recipe', '09_replication.ipynb',
     "history = gradual_unfreeze(learn, cfg.clas, checkpoint='stage',", "history = gradual_unfreeze(learn, PAPER_CLAS, checkpoint='stage',"),
    ('run config: the classifier scores the test reviews after every epoch whatever the run says', '09_replication.ipynb',
     'valid_each_epoch=cfg.clas_valid_each_epoch)', 'valid_each_epoch=True)'),
    ('ensemble: the forward probabilities alone', '09_replication.ipynb',
     "float((((probs['fwd'] + probs['bwd']) / 2).argmax(1) == targs).mean())", "float((probs['fwd'].argmax(1) == targs).mean())"),
    ('pretrained weights: random weights of the same shapes replace the pretrained ones', '05_pretrain.ipynb',
     '    return convert_weights(sd, old_itos, itos), cfg',
     '    return convert_weights({k: torch.randn_like(v.float()) * 0.05 for k, v in sd.items()}, old_itos, itos), cfg',
     '10_ablations.ipynb'),
    ('backward weights: the shipped forward model is read for the backward one', '05_pretrain.ipynb',
     "    return load_wt103('bwd' if backward else 'fwd', path=wt103_path if pretrained == 'wt103' else pretrained)",
     "    return load_wt103('fwd', path=wt103_path if pretrained == 'wt103' else pretrained)"),
    ('WT103 files: a folder with only the forward model hands it out as the backward one', '04_awd_lstm.ipynb',
     'if len(pths) == 1 and len(pkls) == 1 and other not in pths[0].name:', 'if len(pths) == 1 and len(pkls) == 1:',
     '05_pretrain.ipynb'),
    ('low-shot steps: small label sets keep the preset\'s epochs', '10_ablations.ipynb',
     '    return replace(recipe, epochs=tuple(e * max(k, 1) for e in recipe.epochs))', '    return recipe'),
    ('attributions: scores misaligned by one token', '11_interpret.ipynb',
     'res.append(Attribution(toks, scores[::-1].copy() if backward else scores,',
     'res.append(Attribution(toks, np.roll(scores[::-1].copy() if backward else scores, 1),'),
]


def apply(nb_path: Path, old: str, new: str):
    "Replace `old` by `new` in the notebook's JSON source, where it must occur exactly once."
    import json
    nb = json.loads(nb_path.read_text())
    hits = [c for c in nb['cells'] if old in ''.join(c['source'])]
    if len(hits) != 1: raise SystemExit(f"{nb_path.name}: the code to break occurs in {len(hits)} cells, not 1: {old!r}")
    c = hits[0]
    c['source'] = ''.join(c['source']).replace(old, new).splitlines(True)
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')


def run_one(nb, old, new, test_nb, env) -> tuple:
    "`(tests failed, seconds)` for `test_nb` after replacing `old` by `new` in `nb` (`old=None`: unbroken, the control)."
    with tempfile.TemporaryDirectory(prefix='ulmfit-break-') as d:
        work = Path(d)/'repo'
        shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns('.git', '.venv', 'runs', '_docs', '_proc', '__pycache__'))
        if old is not None: apply(work/'nbs'/nb, old, new)
        # a cache of its own: trained models are retrained with the broken code; only the data and tokens are reused
        cache, base = Path(d)/'cache', Path(env['ULMFIT_CACHE'])
        for sub in ('data', 'tokens'):
            if (base/sub).exists(): shutil.copytree(base/sub, cache/sub)
        subprocess.run(['nbdev-export'], cwd=work, check=True, capture_output=True)
        t0 = time.time()
        r = subprocess.run(['nbdev-test', f'nbs/{test_nb}'], cwd=work, capture_output=True, text=True,
                           env={**env, 'PYTHONPATH': str(work), 'ULMFIT_CACHE': str(cache)})
        return r.returncode != 0, time.time() - t0


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('only', nargs='*', help='run the breakages whose names contain one of these words')
    p.add_argument('--list', action='store_true', help='list the breakages and stop')
    p.add_argument('--no-control', action='store_true', help="skip the unbroken run of each notebook that shows its tests pass here")
    a = p.parse_args()
    todo = [b for b in BREAKAGES if not a.only or any(w in b[0] for w in a.only)]
    if a.list or not todo:
        for b in todo or BREAKAGES: print(f"{b[-1] if len(b) > 4 else b[1]:24} {b[0]}")
        return
    from ulmfit_course.utils import cache_dir
    env = {**os.environ, 'ULMFIT_CACHE': str(cache_dir()), 'IN_TEST': '1', 'MPLBACKEND': 'Agg', 'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', '2')}
    owners = lambda b: b[4] if len(b) > 4 else b[1]
    if not a.no_control:  # a notebook that fails unbroken would count every breakage as caught
        for nb in sorted({owners(b) for b in todo}):
            failed, secs = run_one(nb, None, None, nb, env)
            print(f"{'FAILS' if failed else 'passes':7} {secs:5.0f}s  {nb:24} unbroken (control)", flush=True)
            if failed: sys.exit(f"{nb} fails without any breakage: fix it before counting what its tests catch")
    rows = []
    for name, nb, old, new, *test_nb in todo:
        test_nb = test_nb[0] if test_nb else nb
        caught, secs = run_one(nb, old, new, test_nb, env)
        rows.append((name, test_nb, caught, secs))
        print(f"{'caught' if caught else 'MISSED':7} {secs:5.0f}s  {test_nb:24} {name}", flush=True)
    n = sum(r[2] for r in rows)
    print(f"\n{n} of {len(rows)} breakages caught by their lesson's tests")
    sys.exit(0 if n == len(rows) else 1)


if __name__ == '__main__':
    main()
