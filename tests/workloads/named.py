"""Burns CPU in the function named by argv[1] for argv[2] seconds (forever
if absent), so several processes can be told apart by their hot function."""
import sys
import time

from spin import spin


def hot_alpha(deadline):
    return spin(deadline)


def hot_beta(deadline):
    return spin(deadline)


def hot_gamma(deadline):
    return spin(deadline)


def hot_delta(deadline):
    return spin(deadline)


def hot_epsilon(deadline):
    return spin(deadline)


seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 1e9
print("ready", flush=True)
globals()[sys.argv[1]](time.monotonic() + seconds)
