#!/usr/bin/env python
"""Load lessons in a real browser and take screenshots: what a learner sees in JupyterLab, and lesson 08's widget live.

    apt-get install chromium && pip install voila      # once; neither is a dependency of the course
    python tools/browser_check.py                      # screenshots in runs/browser_check/

It starts JupyterLab on this machine (127.0.0.1 only) and has headless Chromium open lesson 06, with its saved plots and
tables, and lesson 08 with its kernel started. Then Voila runs `tools/browser_check/prediction_box.ipynb`, which builds
lesson 08's prediction box on a live kernel (the shipped encoder with an untrained head: the check is about rendering,
not accuracy), classifies a review and shades its words. Look at the PNGs: this is a check for a person, run by hand,
not in CI.
"""
import argparse, os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def wait_for(url:str, timeout:float=90) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        try: urllib.request.urlopen(url, timeout=5); return
        except OSError: time.sleep(1)
    sys.exit(f"{url} did not answer within {timeout:.0f} s")


def screenshot(url:str, out:Path, height:int, wait_ms:int) -> Path:
    "Headless Chromium's picture of `url`, `wait_ms` of page time after it loads."
    cmd = ['chromium', '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', f'--window-size=1400,{height}',
           f'--virtual-time-budget={wait_ms}', f'--screenshot={out}', url]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out', default='runs/browser_check', help="folder for the screenshots")
    a = p.parse_args(argv)
    for tool in ('chromium', 'jupyter', 'voila'):
        if not shutil.which(tool): sys.exit(f"{tool} not found: apt-get install chromium; pip install jupyterlab voila")
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, 'MPLBACKEND': 'Agg'}
    lab_port, voila_port = free_port(), free_port()
    lab = subprocess.Popen(['jupyter', 'lab', '--no-browser', '--allow-root', f'--port={lab_port}', '--ServerApp.ip=127.0.0.1',
                            "--IdentityProvider.token=", "--ServerApp.password=", f'--ServerApp.root_dir={ROOT/"nbs"}'],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    voila = subprocess.Popen(['voila', '--no-browser', f'--port={voila_port}', '--Voila.ip=127.0.0.1',
                              str(ROOT/'tools'/'browser_check'/'prediction_box.ipynb')],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    try:
        wait_for(f'http://127.0.0.1:{lab_port}/lab')
        shots = [screenshot(f'http://127.0.0.1:{lab_port}/lab/tree/06_finetune.ipynb', out/'lesson06_jupyterlab.png', 4000, 30000),
                 screenshot(f'http://127.0.0.1:{lab_port}/lab/tree/08_clas_training.ipynb', out/'lesson08_jupyterlab.png', 2000, 30000)]
        wait_for(f'http://127.0.0.1:{voila_port}/', timeout=300)
        shots.append(screenshot(f'http://127.0.0.1:{voila_port}/', out/'lesson08_widget_live.png', 1200, 90000))
    finally:
        for proc in (lab, voila): proc.terminate()
        for proc in (lab, voila): proc.wait(timeout=30)
    for s in shots: print(f"{s}: {s.stat().st_size / 1024:.0f} KB")


if __name__ == '__main__': main()
