"""Two phases taking turns, each busy for PHASE seconds of wall time, so a
profile kept in time order shows alternating blocks of phase_one and
phase_two (an aggregated one would show two)."""
import time

PHASE = 0.25


def busy_for(seconds):
    deadline = time.monotonic() + seconds
    x = 0
    while time.monotonic() < deadline:
        x += 1
    return x


def phase_one():
    busy_for(PHASE)


def phase_two():
    busy_for(PHASE)


def main():
    print("ready", flush=True)
    while True:
        phase_one()
        phase_two()


if __name__ == "__main__":
    main()
