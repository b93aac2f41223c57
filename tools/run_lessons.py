#!/usr/bin/env python
"""Re-execute lesson notebooks in place, top to bottom, at sample scale, so that their saved outputs are current.

    python tools/run_lessons.py            # every lesson, in order
    python tools/run_lessons.py 05 09      # the lessons whose names start with these numbers
    python tools/run_lessons.py --check    # run nothing: fail if a cell that should show something has no output
    python tools/run_lessons.py --check --pending 10   # ... but only report lesson 10 (its run is still to be made)

Cells flagged `#| cuda` or `#| eval: false` are left as they are (not run, outputs kept). Cells flagged `#| slow`
run only in the lessons whose slow cells are sample-scale experiments (`SAMPLE_SLOW`: lesson 08's recipe comparison,
lesson 10's ablations); elsewhere they need the network, the full data or a GPU (`--slow` runs them anyway).
`IN_TEST` is unset, so each lesson runs at the scale a reader runs it, not the tests' miniature. Plots are saved as
PNG at 80 dpi. Afterwards `nbdev-clean` strips the metadata and keeps the outputs.
"""
import argparse, ast, os, re, subprocess, sys, time
from pathlib import Path

import nbformat

NBS = Path(__file__).resolve().parents[1]/'nbs'
SAMPLE_SLOW = ('08', '10')   # lessons whose `#| slow` cells run on the shipped sample
SKIP = re.compile(r'^#\|\s*(cuda|eval:\s*false)\s*$', re.M)
SLOW = re.compile(r'^#\|\s*slow\s*$', re.M)
QUIET = re.compile(r'^#\|\s*(export|exporti|hide)\s*$', re.M)


def runs(path:Path, source:str, slow:bool=False) -> bool:
    "Whether `run` executes this cell of lesson `path`."
    return not SKIP.search(source) and (not SLOW.search(source) or slow or path.name[:2] in SAMPLE_SLOW)


SHOWS = re.compile(r'print|display|plot\w*|show_batch|show_results|imshow|bar|hist|scatter')

def shows_something(source:str) -> bool:
    "A cell that prints or plots, or ends in an expression that is not a call (a call may return None) nor silenced by `;`."
    code = '\n'.join(l for l in source.splitlines() if not l.lstrip().startswith(('#|', '!', '%')))
    try: tree = ast.parse(code)
    except SyntaxError: return False
    calls = [n.func for n in ast.walk(tree) if isinstance(n, ast.Call)]
    if any(SHOWS.fullmatch(getattr(f, 'id', getattr(f, 'attr', ''))) for f in calls): return True
    last = tree.body[-1] if tree.body else None
    return isinstance(last, ast.Expr) and not isinstance(last.value, ast.Call) and not code.rstrip().endswith(';')


def missing_outputs(path:Path) -> list:
    "Indices of the code cells of `path` that `run` executes and that should show something, but have no output."
    nb = nbformat.read(path, as_version=4)
    return [i for i, c in enumerate(nb.cells) if c.cell_type == 'code' and not QUIET.search(c.source)
            and runs(path, c.source) and shows_something(c.source) and not c.get('outputs')]


def is_blank(output) -> bool:
    "A display output with empty HTML: what a finished progress bar (`leave=False`) leaves behind."
    data = output.get('data', {})
    return (output.get('output_type') == 'display_data' and set(data) <= {'text/html', 'text/plain'}
            and 'text/html' in data and not ''.join(data['text/html']).strip())


def drop_blank_outputs(nb):
    for c in nb.cells:
        if c.cell_type == 'code': c.outputs = [o for o in c.get('outputs', []) if not is_blank(o)]


def run(path:Path, slow:bool=False):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=None, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}})
    t0 = time.time()
    with client.setup_kernel():
        setup = nbformat.v4.new_code_cell("%config InlineBackend.figure_formats = ['png']\n"
                                          "import matplotlib as mpl; mpl.rcParams['figure.dpi'] = 80")
        nb.cells.insert(0, setup)       # run first, then taken out: only the lesson's own cells are saved
        try:
            for i, cell in enumerate(nb.cells):
                if cell.cell_type != 'code' or not (i == 0 or runs(path, cell.source, slow)): continue
                try: client.execute_cell(cell, i)
                except CellExecutionError as e: raise RuntimeError(f"cell {i - 1}: {e.ename}: {e.evalue}") from None
        finally: nb.cells.pop(0)
    drop_blank_outputs(nb)
    nbformat.write(nb, path)
    print(f"{path.name}: {time.time() - t0:.0f}s", flush=True)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('lessons', nargs='*', help="lesson numbers (default: all)")
    p.add_argument('--slow', action='store_true', help="also run the `#| slow` cells of the other lessons (not `#| cuda`)")
    p.add_argument('--check', action='store_true', help="execute nothing; fail if a lesson lacks outputs")
    p.add_argument('--pending', nargs='*', default=[], help="with --check: lessons reported but not failed (outputs still to be made)")
    a = p.parse_args()
    paths = sorted(f for f in NBS.glob('[0-9][0-9]_*.ipynb') if not a.lessons or any(f.name.startswith(n) for n in a.lessons))
    if a.check:
        bad = {f.name: m for f in paths if (m := missing_outputs(f))}
        for name, cells in bad.items(): print(f"{name}: no output in code cells {cells}: run `python tools/run_lessons.py {name[:2]}`"
                                              + (' (pending)' if name[:2] in a.pending else ''))
        print(f"outputs: {len(paths) - len(bad)} of {len(paths)} lessons complete")
        sys.exit(1 if any(name[:2] not in a.pending for name in bad) else 0)
    os.environ.pop('IN_TEST', None)
    os.environ.pop('MPLBACKEND', None)   # Agg (as in CI) would leave the plots out: the kernel's inline backend saves them
    failed = []
    for f in paths:
        try: run(f, a.slow)
        except Exception as e:   # the notebook is left as it was; the next lessons still run
            print(f"{f.name}: FAILED, not saved: {str(e)[:500]}", flush=True)
            failed.append(f.name)
    subprocess.run(['nbdev-clean'], check=True, cwd=NBS.parent)
    sys.exit(f"failed: {', '.join(failed)}" if failed else 0)
