#!/usr/bin/env python
"""Tokenize an IMDB folder here, on the CPU, into one compact file that a GPU machine without spaCy can train from.

    python tools/pack_imdb_tokens.py --data ../shared/data/imdb.tgz --out .devdata/imdb_tokens.npz   # all 100k reviews
    python tools/pack_imdb_tokens.py --out /tmp/sample_tokens.npz                                      # the shipped sample

The file holds the vocabulary (lesson 01: min count 3, at most `--max-vocab` words) and, for every review in
`lm_files` order, its token ids (`uint16`), its split (0 unsup, 1 train, 2 test) and its label (0 neg, 1 pos, -1 none).
"""
import argparse
from pathlib import Path
import numpy as np
from ulmfit_course.data import imdb_path, lm_files
from ulmfit_course.tokens import Vocab, tokenize_corpus

SPLITS, LABELS = {'unsup': 0, 'train': 1, 'test': 2}, {'neg': 0, 'pos': 1}


def pack(data, out:Path, max_vocab:int=60000) -> Path:
    if not 0 < max_vocab < 2**16: raise SystemExit(f"--max-vocab must be between 1 and 65535 (ids are uint16), got {max_vocab}")
    files = lm_files(imdb_path(data))
    corpus = tokenize_corpus(files)
    vocab = Vocab.from_counter(corpus.counter, min_freq=3, max_vocab=max_vocab)
    docs = corpus.numericalize(vocab)
    labelled = [f.parent.name in LABELS for f in files]
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, itos=np.array(vocab.itos), ids=np.concatenate(docs).astype(np.uint16),
                        offsets=np.cumsum([0] + [len(d) for d in docs]).astype(np.int64),
                        split=np.array([SPLITS[f.parent.parent.name] if l else 0 for f, l in zip(files, labelled)], np.int8),
                        label=np.array([LABELS[f.parent.name] if l else -1 for f, l in zip(files, labelled)], np.int8))
    print(f"{out}: {len(files):,} reviews, {len(corpus.ids):,} tokens, vocabulary {len(vocab.itos):,}, "
          f"{out.stat().st_size / 2**20:.1f} MiB")
    return out


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', help="an IMDB folder or .tgz in fastai's layout (default: $ULMFIT_IMDB, else the shipped sample)")
    p.add_argument('--out', default='.devdata/imdb_tokens.npz', help='the file to write')
    p.add_argument('--max-vocab', type=int, default=60000)
    a = p.parse_args()
    pack(a.data, Path(a.out), a.max_vocab)
