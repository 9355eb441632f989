"""A Python function calling into C: zlib.compress of a large buffer, so
most samples are in zlib's C code under compress_block."""
import os
import zlib

DATA = os.urandom(1 << 16) * 32


def compress_block():
    return zlib.compress(DATA, 9)  # COMPRESS


def main():
    print("ready", flush=True)
    while True:
        compress_block()  # CALL


if __name__ == "__main__":
    main()  # MAIN
