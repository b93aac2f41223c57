#!/usr/bin/env python
"""Pretrain the small AWD-LSTM language model that ships in `ulmfit_course/assets/small_lm/`.

It is the offline stand-in for fastai's WikiText-103 weights: the same architecture at CPU size, trained with the
course's own code (tokenizer, vocab, `LMLoader`, `lm_learner`, `CheckpointResume`), first on general-domain text
(WikiText) and then on IMDB reviews from the `unsup` and `train` folders. The `test` reviews are never read, so no
review a classifier is scored on has been seen by this model.

    python tools/pretrain_small_lm.py --imdb ../shared/data/imdb.tgz --wikitext ../shared/data/wikitext2-sample.tgz
    python tools/pretrain_small_lm.py ... --resume     # after an interruption: continues from the last finished epoch

To train further from a model already made (its architecture and vocabulary are kept, its provenance is nested in the
new one), and to checkpoint every few minutes on a long pass, read IMDB in shards, one shard per epoch:

    python tools/pretrain_small_lm.py --init ulmfit_course/assets/small_lm --wiki-epochs 0 --n-reviews 75000 \
        --imdb-epochs 1 --shards 10 --work runs/small_lm_75k --out runs/small_lm_75k/model ...

Every epoch is checkpointed under `--work`; the finished model is written in fastai's pretrained format
(`lstm_fwd.pth` in fp16, `lstm_fwd.pkl`), with `provenance.json` (data, token counts, epochs, validation
perplexity, hardware, wall time and the command), so `load_wt103('fwd', path=...)` reads it like WT103.

The general-domain model has read no review: the WikiText sample and NLTK's Brown, ABC, State of the Union, inaugural
and web-text corpora (about 3.0M words; the web text's wine reviews are left out). It is stage 1 alone, the model
that stage 2 adapts to a task. It is written beside the others as `ulmfit_course/assets/general_lm/`:

    python tools/pretrain_small_lm.py --general ../shared/data/more --wikitext ../shared/data/wikitext2-sample.tgz \
        --general-epochs 8 --shards 4 --work runs/general_lm --out ulmfit_course/assets/general_lm

The backward model, for the paper's forward + backward ensemble, is the same recipe with every document read right to
left, and the forward model's vocabulary, so that both read the same words. It is saved beside the forward one as
`lstm_bwd.pth`/`.pkl` with `provenance_bwd.json`:

    python tools/pretrain_small_lm.py --backward --vocab-from ulmfit_course/assets/small_lm --shards 4 \
        --work runs/small_lm_bwd --out runs/small_lm_bwd/model ...
"""
from __future__ import annotations
import argparse, hashlib, json, os, pickle, platform, random, re, shlex, sys, time
from dataclasses import asdict, replace
from pathlib import Path

import torch
from fastai.callback.core import Callback
from fastai.callback.progress import ProgressCallback
from fastai.torch_core import set_seed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ulmfit_course.data import check_imdb_folder, extract_archive
from ulmfit_course.tokens import tokenize_corpus, Vocab
from ulmfit_course.lm_data import LMLoader, lm_dls, split_docs
from ulmfit_course.awd_lstm import lm_config, load_wt103, lm_sizes
from ulmfit_course.pretrain import wikitext_texts
from ulmfit_course.finetune import lm_learner, FASTAI_LM
from ulmfit_course.utils import CheckpointResume, _loader_state, _set_loader_state

ASSET_DIR = Path(__file__).resolve().parents[1]/'ulmfit_course'/'assets'/'small_lm'

class EpochLog(Callback):
    "Append each epoch that really ran (not one skipped by a resume) to a JSON-lines file: stage, epoch, seconds, metrics."
    order = 80  # after CheckpointResume (70), which cancels the epochs a resumed run has done already
    def __init__(self, fname, stage): self.fname, self.stage = Path(fname), stage
    def before_epoch(self): self.t0, self.ran = time.time(), True
    def after_cancel_epoch(self): self.ran = False
    def after_epoch(self):
        if not self.ran: return
        names = [n for n in self.recorder.metric_names[1:] if n != 'time']
        row = {'stage': self.stage, 'epoch': self.epoch, 'seconds': time.time() - self.t0,
               **dict(zip(names, map(float, self.recorder.log[1:])))}
        with open(self.fname, 'a') as f: f.write(json.dumps(row) + '\n')
        print(json.dumps(row), flush=True)

class ShardLoader:
    "Training batches from one shard of the documents per epoch, the shards in turn: a long pass cut into epochs."
    def __init__(self, shards:list): self.shards, self.k = shards, 0
    def __getattr__(self, name):  # bs, bptt, var_len, device, n, one_batch...: those of the shard read next
        if name.startswith('__') or 'shards' not in self.__dict__: raise AttributeError(name)
        return getattr(self.shards[self.k], name)
    def __len__(self): return len(self.shards[self.k])
    def __iter__(self):
        yield from self.shards[self.k]
        self.k = (self.k + 1) % len(self.shards)
    def to(self, device):
        for s in self.shards: s.to(device)
        return self
    # what CheckpointResume saves and restores, so that a resumed run reads the same shards in the same order
    def state_dict(self): return {'k': self.k, 'shards': [_loader_state(s) for s in self.shards]}
    def load_state_dict(self, st):
        self.k = st['k']
        for s, ss in zip(self.shards, st['shards']): _set_loader_state(s, ss)

def sharded_dls(train:list, valid:list, n_shards:int, bs:int, bptt:int, seed:int, backward:bool=False):
    "`lm_dls`, with the training documents dealt into `n_shards` loaders that take turns, one per epoch."
    dls = lm_dls(train, valid, bs=bs, bptt=bptt, seed=seed, backward=backward, device='cpu')
    if n_shards > 1:
        dls.loaders[0] = ShardLoader([LMLoader(train[k::n_shards], bs=bs, bptt=bptt, seed=seed + k, backward=backward,
                                                device='cpu')
                                      for k in range(n_shards)])
    return dls

def imdb_reviews(path:Path) -> list:
    "The review files of IMDB's `unsup` and `train` folders (never `test`)."
    path = check_imdb_folder(extract_archive(path) if path.is_file() else path)
    return [f for d in ('unsup', 'train') for f in sorted((path/d).rglob('*.txt'))]

GENERAL_CORPORA = ('brown', 'abc', 'state_union', 'inaugural', 'webtext')   # NLTK's zips, as `../shared/data/more` holds them
LEFT_OUT = {'webtext/wine.txt', 'webtext/README', 'abc/README', 'state_union/README', 'inaugural/README'}

def _brown_text(raw:str) -> str:
    "A Brown sample as running text: each `word/tag` token loses its tag, quotes become plain, paragraphs stay."
    paras = []
    for para in re.split(r'\n\s*\n', raw):
        words = [t.rsplit('/', 1)[0] for t in para.split() if '/' in t]
        if words: paras.append(' '.join(words).replace('``', '"').replace("''", '"'))
    return '\n'.join(paras)

def _chunks(raw:str, n_words:int=1000) -> list:
    "A long file cut at line ends into documents of about `n_words` words."
    docs, cur, n = [], [], 0
    for line in raw.splitlines():
        if not line.strip(): continue
        cur.append(line.strip()); n += len(line.split())
        if n >= n_words: docs.append('\n'.join(cur)); cur, n = [], 0
    if cur: docs.append('\n'.join(cur))
    return docs

def general_texts(folder:Path) -> list:
    "The documents of NLTK's general-English corpora in `folder` (their zips): one per Brown sample, ~1,000-word pieces of the rest."
    import zipfile
    docs = []
    for name in GENERAL_CORPORA:
        z = Path(folder)/f'{name}.zip'
        if not z.is_file(): sys.exit(f"--general {folder}: no {name}.zip there (NLTK's corpora zips: {', '.join(GENERAL_CORPORA)})")
        with zipfile.ZipFile(z) as zf:
            for info in sorted(zf.infolist(), key=lambda i: i.filename):
                f = info.filename
                if info.is_dir() or f in LEFT_OUT or (name == 'brown' and not re.fullmatch(r'brown/c[a-r]\d\d', f)): continue
                raw = zf.read(info).decode('utf-8', errors='replace') if name != 'webtext' else zf.read(info).decode('latin-1')
                raw = raw.replace('\r\n', '\n')
                docs += [_brown_text(raw)] if name == 'brown' else _chunks(raw)
    return [d for d in docs if d.strip()]

def reproduce_chain(init:str, init_prov:dict, command:str) -> list:
    "The commands that make this model from nothing: those of the model it started from (if any), then its own."
    if not init: return [command]
    before = (init_prov or {}).get('reproduce') or [(init_prov or {}).get('command') or f"(the model in {init}: no provenance)"]
    return before + [command]

def cpu_name() -> str:
    try: return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): return platform.processor()

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--imdb', help="the full IMDB folder or imdb.tgz (fastai's layout); leave out for a general-domain model")
    p.add_argument('--general', help="a folder with NLTK's brown, abc, state_union, inaugural and webtext zips: a general-domain "
                   "model that reads them after WikiText, and no review")
    p.add_argument('--general-epochs', type=int, default=8, help="passes over WikiText + the general corpora (with --general)")
    p.add_argument('--wikitext', required=True, help="a WikiText folder, .txt file or .tgz")
    p.add_argument('--n-reviews', type=int, default=30000, help="reviews drawn from unsup+train (default 30000)")
    p.add_argument('--wiki-epochs', type=int, default=2)
    p.add_argument('--imdb-epochs', type=int, default=2)
    p.add_argument('--shards', type=int, default=1, help="IMDB epochs read 1/shards of the reviews each (a checkpoint per shard); "
                   "--imdb-epochs counts whole passes (default 1: an epoch is a pass)")
    p.add_argument('--valid-pct', type=float, default=0.02, help="IMDB reviews held out to measure perplexity (default 0.02)")
    p.add_argument('--init', help="start from the pretrained model in this folder (fastai's format, e.g. the shipped one): "
                   "its sizes and vocabulary replace --emb-sz, --n-hid, --n-layers and --max-vocab")
    p.add_argument('--backward', action='store_true', help="a backward model: every document read right to left, saved as "
                   "lstm_bwd.pth/.pkl with provenance_bwd.json")
    p.add_argument('--vocab-from', help="take the vocabulary of the model in this folder (its lstm_fwd.pkl), so that a backward "
                   "model shares the forward one's words; default: built from the text, up to --max-vocab")
    p.add_argument('--emb-sz', type=int, default=128)
    p.add_argument('--n-hid', type=int, default=256)
    p.add_argument('--n-layers', type=int, default=3)
    p.add_argument('--max-vocab', type=int, default=12000)
    p.add_argument('--drop-mult', type=float, default=0.2, help="scales fastai's LM dropouts (little data per weight: little dropout)")
    p.add_argument('--lr', type=float, default=1e-2)
    p.add_argument('--bs', type=int, default=64)
    p.add_argument('--bptt', type=int, default=70)
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--work', default='runs/small_lm', help="checkpoints and logs (default runs/small_lm)")
    p.add_argument('--out', default=str(ASSET_DIR), help="where the finished model goes (default: the package's assets)")
    p.add_argument('--resume', action='store_true', help="continue from the checkpoints in --work")
    a = p.parse_args(argv)
    if a.shards < 1: p.error(f"--shards must be at least 1, got {a.shards}")
    if a.imdb_epochs < 1 or a.wiki_epochs < 0: p.error("need --imdb-epochs >= 1 and --wiki-epochs >= 0")
    if bool(a.imdb) == bool(a.general): p.error("pass --imdb (a model that reads reviews) or --general (one that reads none), not both")
    if a.general and a.init: p.error("--general trains from random weights: leave out --init")
    work = Path(a.work)
    if work.exists() and any(work.iterdir()) and not a.resume:
        sys.exit(f"{work} already holds a run: pass --resume to continue it, or choose another --work")
    work.mkdir(parents=True, exist_ok=True)
    log = work/'epochs.jsonl'
    name = 'bwd' if a.backward else 'fwd'
    prov_name = 'provenance_bwd.json' if a.backward else 'provenance.json'

    t_start = time.time()
    init_sd = init_prov = init_sha = None
    if a.init:  # the course's WT103 loading code: it checks the files and reads the fp16 weights back in fp32
        if not Path(a.init).is_dir(): sys.exit(f"--init {a.init}: not a folder (one with lstm_{name}.pth and lstm_{name}.pkl)")
        init_sd, itos = load_wt103(name, path=a.init)
        init_sha = hashlib.sha256((Path(a.init)/f'lstm_{name}.pth').read_bytes()).hexdigest()
        if (Path(a.init)/prov_name).exists(): init_prov = json.loads((Path(a.init)/prov_name).read_text())
        a.emb_sz, a.n_hid, a.n_layers = (lm_sizes(init_sd)[k] for k in ('emb_sz', 'n_hid', 'n_layers'))
    elif a.vocab_from:
        if not (Path(a.vocab_from)/'lstm_fwd.pkl').is_file(): sys.exit(f"--vocab-from {a.vocab_from}: no lstm_fwd.pkl there")
        with open(Path(a.vocab_from)/'lstm_fwd.pkl', 'rb') as f: itos = list(pickle.load(f))
    wiki = wikitext_texts(a.wikitext)
    if a.general:   # stage 1 alone: WikiText and the general corpora read together, as one corpus, in every epoch
        files = []
        wiki_corpus, imdb_corpus = tokenize_corpus(wiki + general_texts(Path(a.general).expanduser())), None
    else:
        files = imdb_reviews(Path(a.imdb).expanduser())
        files = sorted(random.Random(a.seed).sample(files, min(a.n_reviews, len(files))))
        wiki_corpus, imdb_corpus = tokenize_corpus(wiki), tokenize_corpus(files)
    counts = wiki_corpus.counter + imdb_corpus.counter if imdb_corpus else wiki_corpus.counter
    vocab = Vocab(itos) if a.init or a.vocab_from else Vocab.from_counter(counts, min_freq=3, max_vocab=a.max_vocab)
    cfg = replace(lm_config(a.drop_mult), emb_sz=a.emb_sz, n_hid=a.n_hid, n_layers=a.n_layers)
    prep_s = time.time() - t_start

    set_seed(a.seed)
    learn = None
    stats = {}
    stages = ((('general', wiki_corpus, a.general_epochs, 0.05, a.shards),) if a.general else
              (('wikitext', wiki_corpus, a.wiki_epochs, 0.1, 1), ('imdb', imdb_corpus, a.imdb_epochs, a.valid_pct, a.shards)))
    for stage, corpus, n_epoch, valid_pct, n_shards in stages:
        if n_epoch == 0: continue
        train, valid = split_docs(corpus.numericalize(vocab), valid_pct=valid_pct, seed=a.seed)
        dls = sharded_dls(train, valid, n_shards, a.bs, a.bptt, a.seed, a.backward)
        if learn is None:
            learn = lm_learner(dls, len(vocab), cfg, FASTAI_LM, path=work, model_dir='checkpoints')
            learn.remove_cb(ProgressCallback)  # a log file, not a terminal: one line per epoch (EpochLog)
            if init_sd is not None: learn.model.load_state_dict(init_sd)
        else: learn.dls = dls
        learn.fit_one_cycle(n_epoch * n_shards, a.lr, moms=FASTAI_LM.moms,
                            cbs=[CheckpointResume(stage), EpochLog(log, stage)])
        val = learn.validate()
        stats[stage] = {'documents': len(corpus), 'tokens': int(corpus.lengths.sum()), 'train_docs': len(train),
                        'valid_docs': len(valid), 'epochs': n_epoch, 'shards': n_shards,
                        'valid_loss': float(val[0]), 'valid_accuracy': float(val[1]), 'valid_perplexity': float(val[2])}
        print(f"{stage}: {stats[stage]}", flush=True)

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    # fp16, and one copy of each tensor: the embedding, its dropout wrapper and the tied decoder share one matrix
    halves = {}
    sd = {k: halves.setdefault(v.data_ptr(), v.half()) if v.is_floating_point() else v
          for k, v in learn.model.state_dict().items()}
    torch.save(sd, out/f'lstm_{name}.pth.tmp'); os.replace(out/f'lstm_{name}.pth.tmp', out/f'lstm_{name}.pth')
    with open(out/f'lstm_{name}.pkl', 'wb') as f: pickle.dump(list(vocab.itos), f)
    epochs = [json.loads(l) for l in log.read_text().splitlines()]
    import fastai
    command = 'python tools/pretrain_small_lm.py ' + ' '.join(shlex.quote(x) for x in (argv or sys.argv[1:]) if x != '--resume')
    prov = {
        'what': f"AWD-LSTM language model ({'backward: documents read right to left' if a.backward else 'forward'}), fastai's "
                f"pretrained format: lstm_{name}.pth (fp16 state dict) + lstm_{name}.pkl (itos)",
        'model': {**asdict(cfg), 'vocab_size': len(vocab), 'parameters': sum(p.numel() for p in learn.model.parameters())},
        'init': {'path': a.init, f'lstm_{name}.pth sha256': init_sha, 'provenance': init_prov} if a.init else None,
        'vocab': f"from {a.vocab_from}/lstm_fwd.pkl" if a.vocab_from and not a.init else None,
        'data': {'sources': {'wikitext': str(a.wikitext),
                             **({'general': f"{a.general}: {', '.join(GENERAL_CORPORA)} (NLTK's zips; Brown's tags stripped; "
                                            f"left out: {', '.join(sorted(LEFT_OUT))}); no review of any kind"} if a.general else
                                {'imdb': f"{a.imdb}: {len(files):,} reviews drawn (seed {a.seed}) from unsup + train; test never read"})},
                 'stages': stats},
        'training': {'schedule': f"one-cycle per stage ({' then '.join(stats)}); a pass in {a.shards} epoch(s) "
                                 "of one shard each", 'lr': a.lr, 'bs': a.bs, 'bptt': a.bptt,
                     'variable_length_bptt': True, 'adam_betas': FASTAI_LM.betas, 'moms': FASTAI_LM.moms, 'wd': FASTAI_LM.wd,
                     'ar_tar': (2., 1.), 'seed': a.seed},
        'epochs': epochs,
        'hardware': {'cpu': cpu_name(), 'cores': os.cpu_count(), 'torch_threads': torch.get_num_threads(),
                     'torch': torch.__version__, 'fastai': fastai.__version__},
        'wall_time_s': {'training (sum of epochs, across resumes)': sum(e['seconds'] for e in epochs),
                        'tokenizing and vocab (last invocation)': prep_s},
        'command': command,
        'reproduce': reproduce_chain(a.init, init_prov, command),
    }
    (out/prov_name).write_text(json.dumps(prov, indent=1))
    print(f"saved {out} ({(out/f'lstm_{name}.pth').stat().st_size / 2**20:.1f} MiB)")

if __name__ == '__main__': main()
