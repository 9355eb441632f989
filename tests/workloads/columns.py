"""Two calls on one line (issue 19, columns): caller's frame is at the same
line under leaf_a and under leaf_b, told apart only by each call's start
column.  Nearly all the time goes to the leaves, about half each."""


def leaf_a(n):
    x = 0
    for i in range(n):
        x += i
    return x


def leaf_b(n):
    x = 0
    for i in range(n):
        x -= i
    return x


def caller(n):
    total = 0
    while True:
        total += leaf_a(n) + leaf_b(n)  # TWO-CALLS


def main():
    print("ready", flush=True)
    caller(5000)


if __name__ == "__main__":
    main()
