# Builds the IMDB sample that ships in the package, from the real dataset (seeded, reproducible).
import random, tarfile, io, sys
from pathlib import Path
src = Path(sys.argv[1]); out = Path(sys.argv[2])
rng = random.Random(42)
counts = {('train','pos'):1000, ('train','neg'):1000, ('test','pos'):500, ('test','neg'):500, ('unsup',):2000}
with tarfile.open(out, 'w:gz', compresslevel=9) as tar:
    def add(name, data):
        ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 0; ti.mode = 0o644
        tar.addfile(ti, io.BytesIO(data))
    n = 0
    for parts, k in counts.items():
        files = sorted((src.joinpath(*parts)).glob('*.txt'))
        for f in sorted(rng.sample(files, k)):
            add('imdb_sample/' + '/'.join(parts) + '/' + f.name, f.read_bytes()); n += 1
    add('imdb_sample/README', (
        "A seeded random sample of the IMDB Large Movie Review Dataset v1.0 (Maas et al., ACL 2011,\n"
        "https://ai.stanford.edu/~amaas/data/sentiment/), in the layout of fastai's URLs.IMDB archive:\n"
        "train/{pos,neg} 1000 each, test/{pos,neg} 500 each, unsup 2000. File names are <id>_<rating>.txt\n"
        "as in the original. Made by ulmfit_course's tools/make_sample.py (random.Random(42)).\n").encode())
    print(n, 'reviews')
