#!/usr/bin/env python
"""Re-execute lesson notebooks in place, top to bottom, at sample scale, so that their saved outputs are current.

    python tools/run_lessons.py            # every lesson, in order
    python tools/run_lessons.py 05 09      # the lessons whose names start with these numbers

Cells flagged `#| slow`, `#| cuda` or `#| eval: false` are left as they are (not run, outputs kept): they need a GPU,
the network or hours. `IN_TEST` is unset, so each lesson runs at the scale a reader runs it, not the tests'
miniature. Afterwards `nbdev-clean` strips the metadata and keeps the outputs.
"""
import argparse, os, re, subprocess, time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NBS = Path(__file__).resolve().parents[1]/'nbs'
SKIP = re.compile(r'^#\|\s*(slow|cuda|eval:\s*false)\s*$', re.M)

def run(path:Path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=None, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}})
    t0 = time.time()
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != 'code' or SKIP.search(cell.source): continue
            client.execute_cell(cell, i)
            errors = [o for o in cell.outputs if o.get('output_type') == 'error']
            if errors: raise RuntimeError(f"{path.name}, cell {i}: {errors[0]['ename']}: {errors[0]['evalue']}")
    nbformat.write(nb, path)
    print(f"{path.name}: {time.time() - t0:.0f}s", flush=True)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('lessons', nargs='*', help="lesson numbers (default: all)")
    a = p.parse_args()
    os.environ.pop('IN_TEST', None)
    paths = sorted(f for f in NBS.glob('[0-9][0-9]_*.ipynb') if not a.lessons or any(f.name.startswith(n) for n in a.lessons))
    for f in paths: run(f)
    subprocess.run(['nbdev-clean'], check=True, cwd=NBS.parent)
