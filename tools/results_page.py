#!/usr/bin/env python
"""Run a measuring tool and write what it prints into its block of RESULTS.md.

    python tools/results_page.py bench_e2e python tools/bench_e2e.py
    python tools/results_page.py profile_stages python tools/profile_stages.py

RESULTS.md holds one block per tool, between `<!-- begin NAME -->` and `<!-- end NAME -->`. The block is replaced
by the command, the date and the tool's standard output (its tables are markdown already). Standard error still
goes to the terminal, and a command that fails leaves the page as it was.
"""
import datetime, re, shlex, subprocess, sys
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1]/'RESULTS.md'


def update(name:str, text:str, page:Path=PAGE) -> None:
    "Replace the block NAME of `page` with `text`; a one-line error if the page has no such block."
    md = page.read_text(encoding='utf-8')
    block = re.compile(rf'(<!-- begin {re.escape(name)} -->\n).*?(<!-- end {re.escape(name)} -->)', re.S)
    if not block.search(md): sys.exit(f"{page.name} has no block '{name}': add '<!-- begin {name} -->' and '<!-- end {name} -->'")
    page.write_text(block.sub(lambda m: m.group(1) + text.rstrip() + '\n' + m.group(2), md), encoding='utf-8')


def main(argv:list) -> int:
    if len(argv) < 2: sys.exit(__doc__.split('\n\n')[1])
    name, cmd = argv[0], argv[1:]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if r.returncode: sys.exit(f"{shlex.join(cmd)} failed (exit {r.returncode}): {PAGE.name} left as it was")
    update(name, f"`{shlex.join(cmd)}`, run {datetime.date.today().isoformat()}:\n\n{r.stdout.strip()}")
    print(f"{PAGE.name}: block '{name}' rewritten")
    return 0


if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
