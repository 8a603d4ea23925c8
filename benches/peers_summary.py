#!/usr/bin/env python3
"""Summarize several sittings of benches/peers.sh into the README's speed table.

A single sitting is noisy on a shared machine (the speed of every program here, ours and
the peers', drifts by up to 2x within minutes), so the README reports, for each target,
the median over many sittings of the ratio taken *within* each sitting, its range, and in
how many sittings the goal was met. Run the sittings one after the other, then this:

    mkdir -p sittings
    for i in $(seq -w 1 30); do benches/peers.sh > sittings/sitting-$i.md; done
    python3 benches/peers_summary.py sittings/sitting-*.md

The tables of a sitting are found by their header rows, so the text around them does not
matter. Standard library only. `--self-test` checks the summary against three of the kept
sittings (benches/sittings/e7edd16), whose medians are worked out by hand below.
"""
import os
import statistics
import sys

TRAINING_HEADER = "model"
STEP_HEADER = "threads"


def cells(line):
    """The cells of a Markdown table row, stripped."""
    return [c.strip() for c in line.strip().strip("|").split("|")]


def number(text):
    """A cell as a float, or None for '-' or an empty cell."""
    text = text.strip().rstrip("x%")
    return None if text in ("", "-") else float(text)


def tables(text):
    """The Markdown tables of `text` (rows at the start of a line), each as (header, rows)."""
    found, current = [], None
    for line in text.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        values = cells(line)
        if current is None:
            current = (values, [])
            found.append(current)
        elif not all(set(c) <= set("-:") for c in values):  # not the |---| line
            current[1].append(dict(zip(current[0], values)))
    return found


def parse_sitting(text):
    """{'training': {(model, batch): row}, 'step': {threads: row}} of one sitting."""
    sitting = {"training": {}, "step": {}}
    for header, rows in tables(text):
        if header[0] == TRAINING_HEADER:
            for r in rows:
                sitting["training"][(r["model"], r["batch"])] = r
        elif header[0] == STEP_HEADER and "torch fused step ms" in header:
            for r in rows:
                sitting["step"][r["threads"]] = r
    return sitting


def spread(values, digits, suffix="x"):
    """'median (min-max)' of the values present."""
    v = [x for x in values if x is not None]
    if not v:
        return "-"
    f = "%." + str(digits) + "f"
    return (f + suffix + " (" + f + "-" + f + ")") % (statistics.median(v), min(v), max(v))


def median(values, fmt):
    v = [x for x in values if x is not None]
    return fmt % statistics.median(v) if v else "-"


def met(values, goal):
    """'yes (k of n)' when the median reaches the goal, else 'no (k of n)'."""
    v = [x for x in values if x is not None]
    if not v:
        return "-"
    hits = sum(x >= goal for x in v)
    return "%s (%d of %d)" % ("yes" if statistics.median(v) >= goal else "no", hits, len(v))


def best_torch(row):
    """Torch's steps/s at its better thread setting ('default / 1 thread')."""
    both = [number(x) for x in row["torch steps/s (default threads / 1 thread)"].split("/")]
    both = [x for x in both if x is not None]
    return max(both) if both else None


def row(*cells):
    """A Markdown table row (an empty cell as `| |`)."""
    return "|" + "|".join(" %s " % c if c else " " for c in cells) + "|"


def in_order(dicts):
    """The keys of the dicts, in the order they first appear."""
    keys = []
    for d in dicts:
        keys += [k for k in d if k not in keys]
    return keys


def summarize(sittings):
    """The README's table (Markdown lines) from parsed sittings."""
    out = [
        "Medians of %d sittings of `benches/peers.sh`; the ratio is taken within each"
        % len(sittings),
        "sitting, and its range over the sittings is given.",
        "",
        row("target", "caadam", "peer", "ratio: median (range)", "goal", "met"),
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for key in in_order(s["training"] for s in sittings):
        rows = [s["training"][key] for s in sittings if key in s["training"]]
        label = "%s, batch %s" % key
        ours = median([number(r["caadam steps/s"]) for r in rows], "%.0f")
        jax = median([number(r["JAX steps/s"]) for r in rows], "%.0f")
        vs_jax = [number(r["vs JAX"]) for r in rows]
        out.append(row(label + ", vs JAX/XLA compiled epoch (steps/s)", ours, jax,
                       spread(vs_jax, 2), ">= 1.0x", met(vs_jax, 1.0)))
        vs_torch = [number(r["vs torch (best)"]) for r in rows]
        if any(x is not None for x in vs_torch):
            torch = median([best_torch(r) for r in rows], "%.0f")
            out.append(row(label + ", vs PyTorch eager, best of default and 1 thread (steps/s)",
                           ours, torch, spread(vs_torch, 1), ">= 20x", met(vs_torch, 20.0)))
    # (name, column of our time, position in the ratio cells "step / step_store / unchecked")
    ways = [("step_store", "step_store ms", 1), ("step (its own scan)", "caadam step ms", 0),
            ("step with the scan off", "unchecked ms", 2)]
    for t in in_order(s["step"] for s in sittings):
        rows = [s["step"][t] for s in sittings if t in s["step"]]
        threads = "1 thread" if t == "1" else t + " threads"
        torch = median([number(r["torch fused step ms"]) for r in rows], "%.2f")
        for name, column, i in ways:
            ours = median([number(r[column]) for r in rows], "%.2f")
            ratio = [number(r["ratio (step / step_store / unchecked)"].split("/")[i])
                     for r in rows]
            out.append(row("Adam step, 1e7 parameters, %s, vs torch fused (ms): %s"
                           % (threads, name), ours, torch, spread(ratio, 2), ">= 1.0x",
                           met(ratio, 1.0)))
        torch_huge = median([number(r["torch fused, huge pages, ms"]) for r in rows], "%.2f")
        vs_huge = [median([number(r["same, torch on huge pages"].split("/")[i]) for r in rows],
                          "%.2fx") for _, _, i in ways]
        out.append(row("the same against torch on huge pages: "
                       + " / ".join(name for name, _, _ in ways),
                       "", torch_huge, " / ".join(vs_huge), "", ""))
        store = [number(r["step_store / best triad"]) for r in rows]
        step = [number(r["step / best triad"]) for r in rows]
        out.append(row("Adam step, %s, share of the same-footprint triad's bandwidth:"
                       " step_store / step" % threads, "", "",
                       median(store, "%.0f%%") + " / " + median(step, "%.0f%%"), ">= 80%",
                       met(store, 80.0) + " / " + met(step, 80.0)))
    return out


# The self-test reads the first three sittings kept in benches/sittings/e7edd16 (each also
# holds the bandwidth bench's own table, indented, which must not be read). Worked out by
# hand from their rows:
# batch 32 vs JAX: ratios 1.42, 1.60, 1.30 -> median 1.42, range 1.30-1.60, all >= 1;
# batch 128 vs torch: 18.07, 15.58, 12.23 -> 15.6x (12.2-18.1), none >= 20; torch best
# per sitting 1216, 1423, 1361 -> median 1361; the large model vs JAX: 1.00, 1.00, 1.11
# (torch is not timed on it: no PyTorch row); one thread, step_store: 1.06, 1.01, 1.06
# -> 1.06 (1.01-1.06), ms 14.160, 11.468, 11.543 -> 11.54; two threads, step: 1.04, 1.08,
# 1.15 -> 1.08, 3 of 3; shares of the triad one thread, step_store 92, 110, 126 -> 110%.
SELF_TEST_SITTINGS = ["sittings/e7edd16/sitting-%02d.md" % i for i in (1, 2, 3)]


def self_test():
    here = os.path.dirname(os.path.abspath(__file__))
    texts = []
    for name in SELF_TEST_SITTINGS:
        with open(os.path.join(here, name), encoding="utf-8") as f:
            texts.append(f.read())
    table = summarize([parse_sitting(t) for t in texts])
    expected = [
        "| 8-64-64-1, batch 32, vs JAX/XLA compiled epoch (steps/s) | 44409 | 32639 | 1.42x (1.30-1.60) | >= 1.0x | yes (3 of 3) |",
        "| 8-64-64-1, batch 128, vs PyTorch eager, best of default and 1 thread (steps/s) | 21978 | 1361 | 15.6x (12.2-18.1) | >= 20x | no (0 of 3) |",
        "| 8-1024-256-64-16-1, batch 128, vs JAX/XLA compiled epoch (steps/s) | 470 | 469 | 1.00x (1.00-1.11) | >= 1.0x | yes (3 of 3) |",
        "| Adam step, 1e7 parameters, 1 thread, vs torch fused (ms): step_store | 11.54 | 12.24 | 1.06x (1.01-1.06) | >= 1.0x | yes (3 of 3) |",
        "| Adam step, 1e7 parameters, 2 threads, vs torch fused (ms): step (its own scan) | 7.37 | 7.76 | 1.08x (1.04-1.15) | >= 1.0x | yes (3 of 3) |",
        "| Adam step, 1 thread, share of the same-footprint triad's bandwidth: step_store / step | | | 110% / 102% | >= 80% | yes (3 of 3) / yes (3 of 3) |",
    ]
    missing = [row for row in expected if row not in table]
    # The large model has no torch ratio, so no PyTorch row for it.
    if any("8-1024-256-64-16-1, batch 128, vs PyTorch" in row for row in table):
        missing.append("(a PyTorch row for the large model, which has no torch column)")
    if missing:
        print("\n".join(table))
        print("\nself-test FAILED; expected rows not found:\n" + "\n".join(missing))
        return 1
    print("self-test passed: %d rows checked" % len(expected))
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) < 2 or argv[1].startswith("-"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    sittings = []
    for path in argv[1:]:
        with open(path, encoding="utf-8") as f:
            sitting = parse_sitting(f.read())
        if not sitting["training"] and not sitting["step"]:
            print("error: %s holds no table of benches/peers.sh" % path, file=sys.stderr)
            return 1
        sittings.append(sitting)
    print("\n".join(summarize(sittings)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
