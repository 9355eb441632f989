"""What the side-by-side benchmark scripts (truth_cost.py, startup_cost.py)
share: how a figure's spread is written, and how each keeps its own section
of BENCHMARKS.md while the rest of the file stays."""
import statistics


def spread(xs, fmt="%.1f"):
    """median [min..max]"""
    return (fmt + " [" + fmt + ".." + fmt + "]") % (statistics.median(xs), min(xs), max(xs))


def publish(text, out, begin, end):
    """Print a script's section; with OUT, put it in that file too."""
    print(text)
    if out:
        replace_section(out, begin, end, text)


def replace_section(path, begin, end, text):
    """Put TEXT (which starts with BEGIN and ends with END) in place of the
    file's section between those markers, or at its end."""
    with open(path) as f:
        doc = f.read()
    if begin in doc:
        doc = doc[:doc.index(begin)] + text + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    with open(path, "w") as f:
        f.write(doc)
