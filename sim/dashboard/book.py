"""The book of business: every account as one coloured cell, one block of cells per rep.

Each account shows one state, the first that applies in this order (most telling first):
churned (by cause) > banner avoided > banner up > neglected > detractor > promoter > fine >
open prospect (a seat of the market that has never been a customer; marketing, referrals and
the rep's prospecting can win it).
Within a rep's block, cells are sorted by that order, so each block reads like a small gauge:
the more dark and red at the top, the worse the book. A block framed in black has no rep in
post (the rep quit and the book is uncovered).

The image is built with NumPy and encoded with Pillow, so 2,000 or 20,000 cells cost a few
milliseconds.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from sim.dashboard.charts import BLACK, GREEN, ORANGE, SKY, YELLOW
from sim.kpis import CHURN_CAUSES
from sim.params import Params


@dataclass(frozen=True)
class BookState:
    key: str
    label: str
    colour: str


# Avoided banners have a colour of their own: a deep violet, far from the amber of "unhappy", the yellow of a
# banner that is up and the pink of customers lost to an unwanted pitch.
AVOIDED = "#5E3C99"

# Priority order: an account takes the first state that applies. The churned states come first, one
# per cause in cause-code order (1, 2, ...), in the colours every chart gives the causes.
STATES: tuple[BookState, ...] = (
    *(BookState(c.count, f"lost: {c.label}", c.colour) for c in CHURN_CAUSES),
    BookState("avoided", "banner avoided by the rep", AVOIDED),
    BookState("banner", "banner up", YELLOW),
    BookState("neglected", "neglected (no real contact)", SKY),
    BookState("detractor", "unhappy (detractor)", ORANGE),
    BookState("promoter", "happy (promoter)", GREEN),
    BookState("ok", "served, fine", "#D9D9D9"),
    BookState("prospect", "open prospect (never a customer)", "#EFEFEF"),
)
STATE_INDEX = {s.key: i for i, s in enumerate(STATES)}
VACANT_LABEL = "book with no rep (rep quit)"
BACKGROUND = (255, 255, 255)
TARGET_WIDTH = 820  # pixels; the page scales the image to its column


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


PALETTE = np.array([_rgb(s.colour) for s in STATES], dtype=np.uint8)


def classify(acc, neglect_horizon: float, p: Params | None = None) -> np.ndarray:
    """One state index per account (see STATES), from the model's account arrays.

    ``p`` gives the promoter and detractor thresholds (defaults if omitted).
    """
    p = p or Params()
    state = np.full(acc.n, STATE_INDEX["ok"], dtype=np.int8)
    state[acc.sat >= p.promoter_sat] = STATE_INDEX["promoter"]
    state[acc.sat < p.detractor_sat] = STATE_INDEX["detractor"]
    state[acc.since >= neglect_horizon] = STATE_INDEX["neglected"]
    state[acc.flag] = STATE_INDEX["banner"]
    state[acc.flag & acc.flag_declined] = STATE_INDEX["avoided"]
    gone = ~acc.active
    state[gone] = STATE_INDEX["prospect"]
    gone &= acc.ever_customer
    # cause codes 1..n (sim.kpis.CHURN_CAUSES, in code order) map onto the first n states
    state[gone] = np.clip(acc.cause[gone].astype(np.int8) - 1, 0, len(CHURN_CAUSES) - 1)
    return state


def counts(state: np.ndarray) -> dict[str, int]:
    """How many accounts are in each state."""
    n = np.bincount(state, minlength=len(STATES))
    return {s.key: int(n[i]) for i, s in enumerate(STATES)}


def grid_shape(n_blocks: int, aspect: float = 1.5) -> tuple[int, int]:
    """Rows and columns of blocks: close to ``aspect`` (width / height) with few empty spots."""
    best: tuple[float, int, int] | None = None
    for cols in range(1, n_blocks + 1):
        rows = math.ceil(n_blocks / cols)
        score = abs(math.log(cols / rows / aspect)) + (rows * cols - n_blocks) / n_blocks
        if best is None or score < best[0]:
            best = (score, rows, cols)
    assert best is not None
    return best[1], best[2]


@dataclass
class BookImage:
    """The rendered book: RGB pixels, the state of every account, and the layout."""

    rgb: np.ndarray
    state: np.ndarray
    rows: int
    cols: int
    cell: int

    def png(self) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(self.rgb).save(buf, format="PNG", compress_level=1)
        return buf.getvalue()


def render(acc, rep_slots: np.ndarray | None = None, neglect_horizon: float = 12.0,
           n_slots: int | None = None, vacant: np.ndarray | None = None, width: int = TARGET_WIDTH,
           p: Params | None = None) -> BookImage:
    """Draw every account as a cell, one block per rep slot, sorted within the block by state.

    ``vacant`` flags rep slots with no rep in post; their blocks get a black frame. ``p`` gives the
    promoter and detractor thresholds (defaults if omitted).
    """
    state = classify(acc, neglect_horizon, p)
    slot = np.asarray(acc.rep if rep_slots is None else rep_slots, dtype=np.int64)
    n_slots = int(n_slots if n_slots is not None else (slot.max() + 1 if slot.size else 1))
    sizes = np.bincount(slot, minlength=n_slots)
    side = max(1, math.ceil(math.sqrt(max(1, int(sizes.max(initial=1))))))
    rows, cols = grid_shape(n_slots)
    gap = 1 if side < 8 else 2
    pitch = side + gap
    cell = max(1, min(24, width // (cols * pitch)))

    order = np.lexsort((state, slot))
    slot_sorted = slot[order]
    first = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    pos = np.arange(order.size) - first[slot_sorted]
    bx, by = slot_sorted % cols, slot_sorted // cols
    gx = bx * pitch + pos % side
    gy = by * pitch + pos // side

    h, w = rows * pitch - gap, cols * pitch - gap
    grid = np.empty((h, w, 3), dtype=np.uint8)
    grid[:] = BACKGROUND
    # a faint tile behind each block, so a half-empty book still shows its size
    for s in range(n_slots):
        y0, x0 = (s // cols) * pitch, (s % cols) * pitch
        grid[y0:y0 + side, x0:x0 + side] = (246, 246, 246)
    grid[gy, gx] = PALETTE[state[order]]

    rgb = np.repeat(np.repeat(grid, cell, axis=0), cell, axis=1)
    if cell >= 6:  # thin white lines between cells, so single accounts stay visible
        rgb[cell - 1::cell, :, :] = 255
        rgb[:, cell - 1::cell, :] = 255
    if vacant is not None:
        for s in np.flatnonzero(np.asarray(vacant, dtype=bool)[:n_slots]).tolist():
            y0, x0 = (s // cols) * pitch * cell, (s % cols) * pitch * cell
            y1, x1 = y0 + side * cell, x0 + side * cell
            t = max(2, cell // 3)
            frame = np.array(_rgb(BLACK), dtype=np.uint8)
            rgb[max(0, y0 - t):y0, max(0, x0 - t):x1 + t] = frame
            rgb[y1 - 1:y1 - 1 + t, max(0, x0 - t):x1 + t] = frame
            rgb[max(0, y0 - t):y1 - 1 + t, max(0, x0 - t):x0] = frame
            rgb[max(0, y0 - t):y1 - 1 + t, x1 - 1:x1 - 1 + t] = frame
    return BookImage(rgb, state, rows, cols, cell)


def render_model(model) -> BookImage:
    """The book of a :class:`~sim.model.SalesModel` as it stands this week."""
    vacant = np.array([r is None for r in model.slot_rep], dtype=bool)
    return render(model.acc, neglect_horizon=float(model.p.neglect_horizon), n_slots=model.p.n_reps,
                  vacant=vacant, p=model.p)


def legend() -> list[tuple[str, str]]:
    """(label, colour) pairs in priority order, for the page's legend."""
    return [(s.label, s.colour) for s in STATES]


def legend_handles() -> list:
    """Matplotlib legend entries for the exported slide, including the frame of a vacant book."""
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=s.colour, edgecolor=s.colour, label=s.label) for s in STATES]
    handles.append(Patch(facecolor="white", edgecolor=BLACK, linewidth=2.5, label=VACANT_LABEL))
    return handles
