#!/usr/bin/env python3
"""pybpf integration tests: the real BPF program profiling real CPython
processes.  Run as root:  python3 tests/integration/run.py --pybpf build/pybpf

Every recording is also validated against speedscope's own JSON schema.
A test that needs BPF never skips: if pybpf cannot load its program, the
test fails.  Tests skip only when an optional interpreter is absent.  The
tests are in it_*.py, by subject, registered in this order; harness.py
holds what every suite shares."""
import harness
import it_profiles  # noqa: F401  (each registers its tests with harness)
import it_modes  # noqa: F401
import it_system  # noqa: F401
import it_live  # noqa: F401
import it_async  # noqa: F401
import it_stops  # noqa: F401
import it_memory  # noqa: F401

if __name__ == "__main__":
    harness.main()
