#!/usr/bin/env python
"""Check the course's prose: no sentence over 50 words, and no lab notes in the lessons.

    python tools/check_prose.py            # README.md, RESULTS.md and the lessons' markdown cells
    python tools/check_prose.py --list     # every finding, not only the count per file

Lab notes are what belongs on the results page rather than in a lesson: hardware names, load, wall-clock seconds,
and talk of the test harness or of "the saved output". A lesson may still name a cost in one clause: such a sentence
says so with the words "costs" or "cost".
"""
import argparse, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_WORDS = 50
LAB_NOTES = re.compile(r'\b(Xeon|EPYC|AMD|Intel|load average|saved output|saved run|the cell above|under the tests|'
                       r'under tests|under `?nbdev-test|IN_TEST|\d[\d,.]* (s|seconds|ms)\b|\d+\.\d+ ?s\b)', re.I)


def prose(md:str) -> str:
    "Markdown without code blocks, tables, images, HTML comments, inline code, link targets and headings' hashes."
    md = re.sub(r'```.*?```', ' ', md, flags=re.S)
    md = re.sub(r'<!--.*?-->', ' ', md, flags=re.S)
    lines = [l for l in md.splitlines() if not l.lstrip().startswith(('|', '!['))]
    md = '\n'.join(lines)
    # short code and inline math count as the words a reader reads; a whole command counts as one
    md = re.sub(r'`([^`]*)`', lambda m: m[1] if len(m[1].split()) <= 4 else 'command', md)
    md = re.sub(r'\$\$.*?\$\$', ' formula ', md, flags=re.S)
    md = re.sub(r"\$([^$]+?)\$", lambda m: m[1], md)
    return re.sub(r'\]\([^)]*\)', ']', md)


def sentences(md:str) -> list:
    "The sentences of `md`: list items, headings and blank-line-separated paragraphs end a sentence too."
    out = []
    for block in re.split(r'\n\s*\n|\n(?=\s*(?:[-*+]|\d+\.|#+) )', prose(md)):
        text = ' '.join(block.split())
        out += [s for s in re.split(r'(?<=[.!?:;])\s+(?=[A-Z0-9*"(`])', text) if s.strip()]
    return out


def long_sentences(md:str) -> list:
    return [s for s in sentences(md) if len(s.split()) > MAX_WORDS]


def lab_notes(md:str) -> list:
    return [s for s in sentences(md) if LAB_NOTES.search(s) and not re.search(r'\bcosts?\b', s)]


def documents():
    "(name, markdown, is_lesson) of every page the check reads."
    for f in ('README.md', 'RESULTS.md'):
        if (ROOT/f).exists(): yield f, (ROOT/f).read_text(encoding='utf-8'), False
    for nb in sorted((ROOT/'nbs').glob('[0-9]*.ipynb')):
        cells = json.loads(nb.read_text(encoding='utf-8'))['cells']
        yield nb.name, '\n\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'markdown'), True


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--list', action='store_true', help="print every finding")
    a = p.parse_args(argv)
    n = 0
    for name, md, lesson in documents():
        found = [('long', s) for s in long_sentences(md)] + ([('lab note', s) for s in lab_notes(md)] if lesson else [])
        n += len(found)
        if found: print(f"{name}: {len(found)} finding(s)")
        if a.list:
            for kind, s in found: print(f"  [{kind}, {len(s.split())} words] {s[:300]}")
    print(f"{n} finding(s)")
    return 1 if n else 0


if __name__ == '__main__': sys.exit(main())
