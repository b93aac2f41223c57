#!/usr/bin/env python
"""Copy the README's pictures out of the executed lessons into `nbs/images/`, so that GitHub shows them on the front page.

    python tools/export_figures.py    # after `python tools/run_lessons.py`

Each picture is the first PNG output of the lesson cell whose source contains the marker below.
"""
import base64, json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = {  # file in nbs/images -> (lesson, a string in the source of the cell that draws it)
    'stlr.png': ('06_finetune.ipynb', "title='STLR, T=1000"),
    'results_sample.png': ('09_replication.ipynb', 'ax.barh(acc.index'),
    'low_shot.png': ('10_ablations.ipynb', "Low-shot IMDB"),
}


def first_png(lesson:str, marker:str):
    "The first PNG output of the cell of `lesson` that contains `marker` (None while that cell has no output)."
    cells = json.loads((ROOT/'nbs'/lesson).read_text(encoding='utf-8'))['cells']
    for c in cells:
        if c['cell_type'] == 'code' and marker in ''.join(c['source']):
            for o in c.get('outputs', []):
                if 'image/png' in o.get('data', {}): return base64.b64decode(o['data']['image/png'])
            return None
    sys.exit(f"{lesson}: no cell contains {marker!r}")


if __name__ == '__main__':
    (ROOT/'nbs'/'images').mkdir(exist_ok=True)
    for name, (lesson, marker) in FIGURES.items():
        png = first_png(lesson, marker)
        if png is None:
            print(f"nbs/images/{name}: skipped, the cell in {lesson} has no picture yet (`python tools/run_lessons.py {lesson[:2]}`)")
            continue
        (ROOT/'nbs'/'images'/name).write_bytes(png)
        print(f"nbs/images/{name}: {len(png) / 1024:.0f} KB, from {lesson}")
