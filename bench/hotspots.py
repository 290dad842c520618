"""Summarise a py-spy raw profile (collapsed stacks): the functions with the most samples,
inclusive, restricted to this project's code and the libraries it calls."""

import sys
from collections import Counter


def main(path: str, top: int = 40) -> None:
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    with open(path) as lines:
        stacks = lines.read().splitlines()
    for line in stacks:
        stack, _, count = line.rstrip().rpartition(" ")
        n = int(count)
        total += n
        frames = stack.split(";")
        seen = set()
        for frame in frames:
            name = frame.split(" (")[0] + " " + frame.rsplit("/", 1)[-1].split(":")[0].rstrip(")")
            if name not in seen:
                inclusive[name] += n
                seen.add(name)
        own[frames[-1].split(" (")[0] + " " + frames[-1].rsplit("/", 1)[-1].split(":")[0].rstrip(")")] += n
    print(f"{path}: {total} samples")
    print("-- inclusive")
    for name, n in inclusive.most_common(top):
        print(f"{n / total:6.1%}  {name}")
    print("-- self")
    for name, n in own.most_common(20):
        print(f"{n / total:6.1%}  {name}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 40)
