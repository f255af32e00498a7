"""Learn the cross-script spelling table ``daemon/text/translit.json`` and measure it.

    python bench/learn_translit.py [--iterations N] [--write] [--holdout FRAC]

Learns on the train files of ``../shared/names/`` only (ar2en-train.txt: Arabic TAB Latin;
anetac-train.tsv: Latin TAB Arabic); ar2en-eval.txt and anetac-dev.tsv are only scored.
The model (see ``daemon/text/_score.py``): units of 0-2 Arabic and 0-3 Latin letters with
joint probabilities, fitted by EM (forward-backward over all alignments of each pair),
plus hand-written pseudo-counts (``RULES``). The first E-step weighs every unit by its
shape only, so the start favours one letter for one letter and depends on no guess.

Prints, per file: pairs used and skipped, share of true pairs accepted, share of random
pairs (the Latin of one pair with the Arabic of another) accepted; the mean time of one
score; the threshold chosen on random pairs of the train files. The last line is one JSON
object. Deterministic: fixed seeds, ordered iteration.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from daemon.text import normalize_word, word_runs  # noqa: E402
from daemon.text._score import ACCEPT, Model, arabic_form  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
NAMES = SHARED / "names"
TABLE = ROOT / "daemon" / "text" / "translit.json"

TRAIN = ("ar2en-train.txt", "anetac-train.tsv")
HELD_OUT = ("ar2en-eval.txt", "anetac-dev.tsv")

RANDOM_TARGET = 0.0003  # share of random train pairs a lone word may accept
RANDOM_TRAIN = 1_000_000
RANDOM_EVAL = 400_000
MIN_SMALL = 5.0
MIN_LARGE = 30.0
DISCOUNT = 2.0

# Start weights of unit shapes (Arabic letters, Latin letters) for the first E-step: one
# letter for one letter is the usual case, a vowel written on one side only the next.
SHAPE_START = {
    (1, 1): 1.0,
    (1, 2): 0.4,
    (0, 1): 0.3,
    (1, 0): 0.2,
    (2, 1): 0.15,
    (2, 2): 0.1,
    (1, 3): 0.05,
    (0, 2): 0.05,
    (2, 3): 0.02,
    (2, 0): 0.01,
    (0, 3): 0.01,
}

# The rules prior: letter correspondences common in names of the Arab world, Iran,
# Afghanistan, Pakistan and North Africa but rare in the train files (mostly Western names
# written in Arabic). Arabic side TAB Latin spellings; "-" is no Latin letter (ayn and
# hamza are often dropped, and the apostrophe that writes them is dropped by normalization).
RULES = """
ت	t th
ث	th t s
ذ	th dh z d
ض	dh d z
ظ	dh z d
د	d dh
ط	t
ص	s
ح	h
ه	h
خ	kh h ch x
غ	gh g r
ق	q k g gh c
ج	j dj g
ش	sh ch
تش	ch tch tsh
چ	ch tch j
ع	- a aa e i o u
ء	- a e i
عا	a aa
ا	a aa e i u o
و	ou oo u o w
ي	ee i y ei ai ay ie
ة	a ah at eh e
ى	a i y
ين	ine een in
پ	p
ب	p b
گ	g
ڨ	g
ڭ	g
ژ	zh j
ڤ	v
ف	v f
ځ	dz z
څ	ts s
ټ	t
ډ	d
ړ	r
ښ	sh kh x
ږ	zh g
ڼ	n
"""

# Doubled Latin consonants stand for one Arabic letter (shadda is not written), and French
# spellings end in a silent e after a consonant (Amine, Rachide): both as consonant units.
DOUBLING = {
    "ب": "b",
    "ت": "t",
    "د": "d",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ص": "s",
    "ط": "t",
    "ض": "d",
    "ف": "f",
    "ق": "q k",
    "ك": "k c",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ج": "j",
    "ح": "h",
    "ي": "y",
    "و": "w",
}


def rule_units(strength: float) -> dict[tuple[str, str], float]:
    prior: dict[tuple[str, str], float] = {}
    for line in RULES.strip().splitlines():
        ar, spellings = line.split("\t")
        for la in spellings.split():
            prior[(ar, "" if la == "-" else la)] = strength
    for ar, latins in DOUBLING.items():
        for c in latins.split():
            prior[(ar, c + c)] = strength
            if ar not in "يو":
                prior[(ar, c + "e")] = strength / 2
    return prior


# --- data -------------------------------------------------------------------------------


def latin_word(raw: str) -> str | None:
    runs = word_runs(raw)
    if len(runs) != 1:
        return None
    w = normalize_word(runs[0])
    return w if w.isascii() and w.isalpha() else None


def arabic_word(raw: str) -> str | None:
    runs = word_runs(raw)
    if len(runs) != 1:
        return None
    w = arabic_form(runs[0])
    return w if w and all("\u0600" <= c <= "\u08ff" for c in w) else None


def load(name: str) -> tuple[list[tuple[str, str]], int]:
    """(arabic, latin) pairs of one file, and how many lines were skipped."""
    pairs = []
    skipped = 0
    for line in (NAMES / name).read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) != 2:
            skipped += 1
            continue
        ar_raw, la_raw = cols if name.startswith("ar2en") else cols[::-1]
        ar, la = arabic_word(ar_raw), latin_word(la_raw)
        if ar is None or la is None:
            skipped += 1
            continue
        pairs.append((ar, la))
    return pairs, skipped


# --- EM ---------------------------------------------------------------------------------

PAIRS: list[tuple[str, str]] = []


# News text writes a final ي for ى and ه for ة and the reverse (and the train files fold
# them): a word-final letter of either pair is read as either, summing over both in the
# E-step, so "-a" names spelled with a final ه teach the ة units.
_TWINS = {"ي": "ى", "ى": "ي", "ه": "ة", "ة": "ه"}


def _variants(sub: str) -> tuple[str, ...]:
    if sub and sub[-1] in _TWINS:
        return sub, sub[:-1] + _TWINS[sub[-1]]
    return (sub,)


def _latin_keys(lat: str) -> list[list[tuple[int, str]]]:
    m = len(lat)
    return [[(k, lat[j : j + k]) for k in range(min(3, m - j) + 1)] for j in range(m + 1)]


def _estep_shapes(bounds: tuple[int, int]) -> tuple[dict[tuple[str, str], float], float]:
    """Expected unit counts when a unit's probability depends on its shape only."""
    counts: dict[tuple[str, str], float] = {}
    loglik = 0.0
    for ar, lat in PAIRS[bounds[0] : bounds[1]]:
        n, m = len(ar), len(lat)
        width = m + 1
        size = (n + 1) * width
        lkeys = _latin_keys(lat)
        alpha = [0.0] * size
        alpha[0] = 1.0
        for i in range(n + 1):
            for j in range(width):
                a = alpha[i * width + j]
                if not a:
                    continue
                for al in range(min(2, n - i) + 1):
                    base = (i + al) * width + j
                    for k, _ in lkeys[j]:
                        p = SHAPE_START.get((al, k))
                        if p:
                            alpha[base + k] += a * p
        z = alpha[-1]
        loglik += math.log(z)
        beta = [0.0] * size
        beta[-1] = 1.0
        for i in range(n, -1, -1):
            for j in range(m, -1, -1):
                idx = i * width + j
                a = alpha[idx]
                if idx == size - 1 or not a:
                    continue
                b = 0.0
                for al in range(min(2, n - i) + 1):
                    subs = _variants(ar[i : i + al]) if i + al == n else (ar[i : i + al],)
                    base = idx + al * width
                    for k, key in lkeys[j]:
                        p = SHAPE_START.get((al, k))
                        if p:
                            t = p * beta[base + k]
                            if t:
                                b += t
                                for sub in subs:
                                    unit = (sub, key)
                                    share = a * t / z / len(subs)
                                    counts[unit] = counts.get(unit, 0.0) + share
                beta[idx] = b
    return counts, loglik


def _estep(
    job: tuple[int, int, dict[str, dict[str, int]], list[float]],
) -> tuple[list[float], float, int]:
    """Expected unit counts under the current unit probabilities (forward-backward)."""
    lo, hi, index, prob = job
    counts = [0.0] * len(prob)
    loglik = 0.0
    lost = 0
    for ar, lat in PAIRS[lo:hi]:
        n, m = len(ar), len(lat)
        width = m + 1
        size = (n + 1) * width
        lkeys = _latin_keys(lat)
        opts = []
        for i in range(n + 1):
            row = []
            for al in range(min(2, n - i) + 1):
                sub = ar[i : i + al]
                for variant in _variants(sub) if i + al == n else (sub,):
                    d = index.get(variant)
                    if d:
                        row.append((al * width, d))
            opts.append(row)
        alpha = [0.0] * size
        alpha[0] = 1.0
        for i in range(n + 1):
            row_opts = opts[i]
            for j in range(width):
                idx = i * width + j
                a = alpha[idx]
                if not a:
                    continue
                for off, d in row_opts:
                    base = idx + off
                    for k, key in lkeys[j]:
                        u = d.get(key)
                        if u is not None:
                            alpha[base + k] += a * prob[u]
        z = alpha[-1]
        if z <= 0.0:
            lost += 1  # a pair the pruned inventory cannot explain any more
            continue
        loglik += math.log(z)
        inv_z = 1.0 / z
        beta = [0.0] * size
        beta[-1] = 1.0
        for i in range(n, -1, -1):
            row_opts = opts[i]
            for j in range(m, -1, -1):
                idx = i * width + j
                a = alpha[idx]
                if idx == size - 1 or not a:
                    continue
                b = 0.0
                for off, d in row_opts:
                    base = idx + off
                    for k, key in lkeys[j]:
                        u = d.get(key)
                        if u is not None:
                            t = prob[u] * beta[base + k]
                            if t:
                                b += t
                                counts[u] += a * t * inv_z
                beta[idx] = b
    return counts, loglik, lost


def _chunks(n: int, parts: int) -> list[tuple[int, int]]:
    step = -(-n // parts)
    return [(i, min(n, i + step)) for i in range(0, n, step)]


def learn(
    pairs: list[tuple[str, str]], iterations: int, strength: float, workers: int
) -> tuple[dict[tuple[str, str], float], float]:
    """Unit probabilities and the expected number of units per pair."""
    global PAIRS
    PAIRS = pairs
    prior = rule_units(strength)
    bounds = _chunks(len(pairs), workers * 4)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        t0 = time.time()
        counts: dict[tuple[str, str], float] = {}
        loglik = 0.0
        for part, ll in pool.map(_estep_shapes, bounds):
            loglik += ll
            for u, c in part.items():
                counts[u] = counts.get(u, 0.0) + c
        print(f"  start  units {len(counts):7d}  {time.time() - t0:5.0f} s", flush=True)
        for it in range(iterations):
            for u, c in prior.items():
                counts[u] = counts.get(u, 0.0) + c
            # Units with under half an expected use are noise of the alignment lattice.
            kept = sorted(u for u, c in counts.items() if c >= 0.5)
            total = sum(counts[u] for u in kept)
            prob = [counts[u] / total for u in kept]
            index: dict[str, dict[str, int]] = {}
            for uid, (ar, la) in enumerate(kept):
                index.setdefault(ar, {})[la] = uid
            t0 = time.time()
            sums = [0.0] * len(kept)
            loglik = 0.0
            lost = 0
            jobs = [(lo, hi, index, prob) for lo, hi in bounds]
            for part, ll, lo_ in pool.map(_estep, jobs):
                loglik += ll
                lost += lo_
                for uid, c in enumerate(part):
                    if c:
                        sums[uid] += c
            counts = {u: c for u, c in zip(kept, sums, strict=True) if c > 0.0}
            print(
                f"  iter {it + 1:2d}  units {len(kept):7d}  loglik/pair "
                f"{loglik / len(pairs):8.4f}  lost {lost}  {time.time() - t0:5.0f} s",
                flush=True,
            )
    units_per_pair = sum(counts.values()) / len(pairs)
    for u, c in prior.items():
        counts[u] = counts.get(u, 0.0) + c
    return counts, units_per_pair


def build_table(
    counts: dict[tuple[str, str], float],
    units_per_pair: float,
    pairs: list[tuple[str, str]],
    prior: dict[tuple[str, str], float],
) -> dict[str, object]:
    """The shipped table. A unit of one or two letters needs MIN_SMALL expected uses, a
    longer one MIN_LARGE: long rare units are mostly chunks of single names, and they are
    what lets unrelated words score high. Counts are discounted by DISCOUNT, since the
    log-odds of a rare unit overstates what a few uses show. Rule units always stay."""
    kept = {}
    for u, c in counts.items():
        if u in prior:
            kept[u] = c
        elif c >= (MIN_SMALL if len(u[0]) + len(u[1]) <= 2 else MIN_LARGE):
            kept[u] = c - DISCOUNT
    total = sum(kept.values())
    units = [[ar, la, round(math.log(c / total), 3)] for (ar, la), c in sorted(kept.items())]
    letters_a: Counter[str] = Counter()
    letters_l: Counter[str] = Counter()
    for ar, la in pairs:
        letters_a.update(ar)
        letters_l.update(la)
    # Every letter a unit uses gets at least one count, so none is impossible.
    for ar, la in kept:
        for c in ar:
            letters_a[c] = max(letters_a[c], 1)
        for c in la:
            letters_l[c] = max(letters_l[c], 1)
    na, nl = sum(letters_a.values()), sum(letters_l.values())
    return {
        "units": units,
        "arabic_letters": {c: round(math.log(k / na), 3) for c, k in sorted(letters_a.items())},
        "latin_letters": {c: round(math.log(k / nl), 3) for c, k in sorted(letters_l.items())},
        "stop": {
            "joint": round(math.log(1 / (units_per_pair + 1)), 4),
            "arabic": round(math.log(len(pairs) / (na + len(pairs))), 4),
            "latin": round(math.log(len(pairs) / (nl + len(pairs))), 4),
        },
    }


# --- measurement ------------------------------------------------------------------------


def random_pairs(pairs: list[tuple[str, str]], count: int, seed: int) -> list[tuple[str, str]]:
    """Latin of one pair with the Arabic of another, never a known true pair."""
    rng = random.Random(seed)
    true = set(pairs)
    out = []
    n = len(pairs)
    while len(out) < count:
        a = pairs[rng.randrange(n)][0]
        la = pairs[rng.randrange(n)][1]
        if (a, la) not in true:
            out.append((a, la))
    return out


def scores(model: Model, pairs: list[tuple[str, str]]) -> list[float]:
    score = model.score
    return [score(la, ar) for ar, la in pairs]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="write daemon/text/translit.json")
    parser.add_argument("--holdout", type=float, default=0.0, help="share of train to hold out")
    parser.add_argument("--prior", type=float, default=25.0, help="pseudo-count of a rule")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not NAMES.is_dir():
        print(f"skipped: no name pairs at {NAMES}")
        return 0

    t_start = time.time()
    train: list[tuple[str, str]] = []
    holdout: dict[str, list[tuple[str, str]]] = {}
    for name in TRAIN:
        pairs, skipped = load(name)
        rng = random.Random(7)
        rng.shuffle(pairs)
        cut = int(len(pairs) * args.holdout)
        if cut:
            holdout[name + " (held out)"] = pairs[:cut]
        train.extend(pairs[cut:])
        print(f"{name}: {len(pairs)} pairs, {skipped} skipped")
    train.sort()
    counts, units_per_pair = learn(train, args.iterations, args.prior, args.workers)
    prior = rule_units(args.prior)
    table = build_table(counts, units_per_pair, train, prior)
    model = Model(table)

    rand_train = random_pairs(train, RANDOM_TRAIN, seed=11)
    rs = sorted(scores(model, rand_train), reverse=True)
    k = int(RANDOM_TARGET * len(rs))
    accept = math.ceil(rs[k] * 10 + 1e-9) / 10  # the next 0.1 above the allowed k-th score
    rand_train_share = sum(s >= accept for s in rs) / len(rs)
    table["accept"] = accept
    print(f"threshold {accept:+.1f}: random train pairs accepted {rand_train_share:.6f}")
    if accept != ACCEPT:
        print(f"note: daemon/text/_score.py has ACCEPT = {ACCEPT}, the table gives {accept}")

    report: dict[str, float] = {}
    random_report: dict[str, float] = {"train": round(rand_train_share, 6)}
    files: list[tuple[str, list[tuple[str, str]], int]] = []
    for name in HELD_OUT:
        pairs, skipped = load(name)
        files.append((name, pairs, skipped))
    files += [(name, pairs, 0) for name, pairs in holdout.items()]
    for name, pairs, skipped in files:
        s = scores(model, pairs)
        share = sum(x >= accept for x in s) / len(s)
        rp = random_pairs(pairs, RANDOM_EVAL, seed=13)
        rshare = sum(x >= accept for x in scores(model, rp)) / len(rp)
        report[name] = round(share, 4)
        random_report[name] = round(rshare, 6)
        print(
            f"{name}: {len(pairs)} pairs ({skipped} skipped), accepted {share:.4f}; "
            f"random pairs accepted {rshare:.6f} of {len(rp)}"
        )

    sample = [p for p in random_pairs(train, 20000, seed=17) if 6 <= len(p[1]) <= 8]
    sample += [p for p in train[::40] if 6 <= len(p[1]) <= 8]
    t0 = time.perf_counter()
    scores(model, sample)
    us = (time.perf_counter() - t0) / len(sample) * 1e6
    print(f"score: {us:.1f} µs per call on {len(sample)} pairs of 6-8 Latin letters")

    text = json.dumps(table, ensure_ascii=False, separators=(",", ":"))
    print(f"table: {len(table['units'])} units, {len(text.encode()) / 1024:.0f} KB")  # type: ignore[arg-type]
    if args.write:
        TABLE.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {TABLE.relative_to(ROOT)}")
    print(f"total {time.time() - t_start:.0f} s")
    print(
        json.dumps(
            {
                "pairs_accepted": report,
                "random_pairs_accepted": random_report,
                "accept": accept,
                "us_per_call": round(us, 1),
            },
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
