"""Sets the worker's BENCH lines beside Python torch's: one Markdown table per device and
precision, with the ratio the worker is held to.

    python3 bench_table.py worker.log python.log [--out tables.md] [--title TEXT]
"""
import argparse
import json

GOAL = 0.9


def read(paths):
    rows = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as log:
                rows += [json.loads(line[len("BENCH "):]) for line in log if line.startswith("BENCH ")]
        except FileNotFoundError:
            pass
    return rows


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def table(key, worker, python):
    device, precision = key
    first = next(iter(worker.values()))
    lines = [
        f"### {device}, {precision}",
        "",
        f"{first['images']} {first['resolution']} JPEG stills, model input "
        f"{first['input'][0]}x{first['input'][1]}, libtorch intra-op threads {first['threads']}, "
        f"{first['decoders']} decoders. Worker: JPEG bytes to boxes through `DetectorHandle`; "
        "Python: `module(x)` alone on a batch already on the device. Stage times are ms per "
        "image (a batch's upload and forward divided by its size; decode on one thread).",
        "",
        "| batch | worker img/s | python forward-only img/s | worker/python | "
        "worker ms: decode / upload / forward | mean batch achieved |",
        "|---:|---:|---:|---:|---|---:|",
    ]
    short = []
    for batch in sorted(set(worker) | set(python)):
        w, p = worker.get(batch), python.get(batch)
        ratio = w["images_per_s"] / p["images_per_s"] if w and p else None
        if ratio is not None and ratio < GOAL:
            short.append(str(batch))
        ms = w["ms"] if w else {}
        stages = " / ".join(fmt(ms.get(s), ".2f") for s in ("decode", "upload", "forward"))
        lines.append(
            f"| {batch} | {fmt(w and w['images_per_s'], '.1f')} | {fmt(p and p['images_per_s'], '.1f')} "
            f"| {fmt(ratio, '.2f')} | {stages if w else '-'} | {fmt(w and w['mean_batch'], '.2f')} |"
        )
    lines.append("")
    if not python:
        lines.append(f"Goal: worker/python >= {GOAL} at every batch size; not judged (no Python figures).")
    elif short:
        lines.append(f"Goal: worker/python >= {GOAL} at every batch size; **not met** at batch {', '.join(short)}.")
    else:
        lines.append(f"Goal: worker/python >= {GOAL} at every batch size; met.")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("logs", nargs="+")
    parser.add_argument("--out", help="also append the tables to this Markdown file")
    parser.add_argument("--title")
    args = parser.parse_args()
    groups = {}
    for row in read(args.logs):
        key = (row["device"], row["precision"])
        groups.setdefault(key, ({}, {}))[0 if row["side"] == "worker" else 1][row["batch"]] = row
    text = f"## {args.title}\n\n" if args.title else ""
    text += "\n".join(table(key, w, p) for key, (w, p) in groups.items() if w)
    if not groups:
        text += "No BENCH lines found.\n"
    print(text)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as out:
            out.write(text + "\n")


if __name__ == "__main__":
    main()
