#!/usr/bin/env python
"""Draw ULMFiT's three stages (Howard & Ruder 2018, Figure 1, redrawn) as `nbs/images/ulmfit_stages.png`.

    python tools/draw_ulmfit.py

Each panel is the same AWD-LSTM: an embedding, three LSTM layers and a top layer. The top is a softmax over the words
in stages 1 and 2 and the classifier's head in stage 3. A layer's colour says how fast it learns in that stage.
Stage 1 trains everything at one rate. Stage 2 gives each lower layer a smaller rate (discriminative fine-tuning)
under a slanted triangular schedule. Stage 3 unfreezes one more layer each epoch from the top (gradual unfreezing).
The README and lesson 05 show the picture.
"""
from pathlib import Path

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

OUT = Path(__file__).resolve().parents[1]/'nbs'/'images'/'ulmfit_stages.png'
BLUE, GREY, INK = '#2b6cb0', '#d9d9d9', '#222222'
STAGES = [
    ('1. General-domain LM pretraining', 'reads general text: Wikipedia\n(WikiText-103), no task text',
     ['AWD-LSTM dropouts, AR and TAR', 'variable-length BPTT'], 'next word', [1, 1, 1, 1, 1]),
    ('2. LM fine-tuning on the task', "reads the task's own texts\n(labels unused)",
     ['discriminative learning rates', 'slanted triangular rates'], 'next word', [0.25, 0.4, 0.6, 0.8, 1]),
    ('3. Classifier fine-tuning', 'learns from the labels: a new head\non the fine-tuned encoder',
     ['concat pooling, BPT3C', 'gradual unfreezing'], 'class', None),
]
LAYERS = ['embedding', 'LSTM 1', 'LSTM 2', 'LSTM 3']


def draw_stack(ax, x0, y0, shades, top, unfreezing=False):
    "The model as five layers from the bottom; each shaded by its learning rate, or numbered by the epoch it unfreezes in."
    names = LAYERS + [top if top == 'class' else 'softmax']
    w, h, gap = 2.6, 0.42, 0.12
    for i, name in enumerate(names):
        y = y0 + i * (h + gap)
        if unfreezing:   # the head first, then one more layer below it in each later epoch
            epoch = len(names) - i
            face, alpha = BLUE, 0.25 + 0.75 * (i + 1) / len(names)
            label = f"{'head' if name == 'class' else name}  (from epoch {epoch})"
        else:
            face, alpha, label = BLUE, shades[i], name
        ax.add_patch(Rectangle((x0, y), w, h, facecolor=face, alpha=alpha, edgecolor=INK, lw=0.8))
        ax.text(x0 + w / 2, y + h / 2, label, ha='center', va='center', fontsize=8.5,
                color='white' if alpha > 0.55 else INK)
    y_top = y0 + len(names) * (h + gap)
    ax.text(x0 + w / 2, y_top + 0.05, f"predicts: {top}", ha='center', va='bottom', fontsize=9, style='italic')
    return y_top


def main():
    fig, ax = plt.subplots(figsize=(12, 5.4))
    ax.set_xlim(0, 12); ax.set_ylim(0, 5.4); ax.axis('off')
    for k, (title, reads, tricks, top, shades) in enumerate(STAGES):
        x = 0.25 + k * 4
        ax.add_patch(FancyBboxPatch((x, 0.25), 3.5, 4.95, boxstyle='round,pad=0.02,rounding_size=0.12',
                                    facecolor='#f7f9fc', edgecolor='#8aa1c1', lw=1.2))
        ax.text(x + 1.75, 4.95, title, ha='center', va='center', fontsize=10.5, weight='bold')
        ax.text(x + 1.75, 4.45, reads, ha='center', va='center', fontsize=8.8, color='#444444')
        draw_stack(ax, x + 0.45, 1.0, shades, top, unfreezing=shades is None)
        ax.text(x + 1.75, 0.62, '\n'.join(tricks), ha='center', va='center', fontsize=8.8, color=BLUE, linespacing=1.5)
        if k < 2:
            ax.add_patch(FancyArrowPatch((x + 3.52, 2.4), (x + 4.0, 2.4), arrowstyle='-|>', mutation_scale=16,
                                         color=INK, lw=1.4, zorder=5))
            ax.text(x + 3.76, 2.55, 'weights', ha='center', va='bottom', fontsize=7.5, color='#555555')
    ax.text(6, 0.0, 'darker = larger learning rate; stage 3 trains the head alone first, then one more layer per epoch',
            ha='center', va='bottom', fontsize=8, color='#555555')
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=110, bbox_inches='tight')
    print(f"{OUT.relative_to(OUT.parents[2])}: {OUT.stat().st_size / 1024:.0f} KB")


if __name__ == '__main__': main()
