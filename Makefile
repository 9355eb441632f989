# pybpf build.  `make` builds build/pybpf; `make check` runs every test.
BUILD      ?= build
CC         ?= gcc
CLANG      ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL    ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
PYTHON311  ?= /usr/bin/python3.11

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE
CPPFLAGS += -I$(BUILD) -Ibpf -Iuser
LDLIBS   += -lbpf -lelf -lz -lncursesw

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Ivmlinux -Ibpf

USER_SRCS := $(filter-out user/main.c,$(wildcard user/*.c))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(USER_SRCS))
UNIT_SRCS := $(wildcard tests/unit/*.c)

.PHONY: all deps demo check unit layouts integration formats vmlinux clean npm pythons bench bench-deps bench-quick
all: $(BUILD)/pybpf

$(BUILD)/pyperf.bpf.o: bpf/pyperf.bpf.c bpf/pyperf.h vmlinux/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(LLVM_STRIP) -g $@

$(BUILD)/pyperf.skel.h: $(BUILD)/pyperf.bpf.o
	$(BPFTOOL) gen skeleton $< name pyperf_bpf > $@

$(BUILD)/obj/%.o: user/%.c $(wildcard user/*.h) bpf/pyperf.h $(BUILD)/pyperf.skel.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The flame graph's script, as a C string.  It sits in a CDATA section of
# the SVG, which must not end early.
$(BUILD)/flamegraph_js.h: user/flamegraph.js
	@mkdir -p $(@D)
	@! grep -n ']]>' $< || { echo "$<: ']]>' would end the SVG's CDATA section" >&2; exit 1; }
	{ echo 'static const char flamegraph_js[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@

$(BUILD)/obj/flamegraph.o: $(BUILD)/flamegraph_js.h

$(BUILD)/pybpf: $(BUILD)/obj/main.o $(USER_OBJS)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# Regenerate the committed kernel type header from this machine's BTF.
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

# Every build and test dependency, from Debian (and npm, pinned by the lock file).
deps:
	tools/install-deps.sh

npm: $(BUILD)/npm/.installed
$(BUILD)/npm/.installed: tools/npm/package.json tools/npm/package-lock.json
	mkdir -p $(BUILD)/npm
	cp tools/npm/package.json tools/npm/package-lock.json $(BUILD)/npm/
	npm ci --prefix $(BUILD)/npm --no-audit --no-fund --loglevel=error
	touch $@

demo: deps all
	tools/demo.sh $(BUILD)/pybpf

# ---- tests ---------------------------------------------------------------
$(BUILD)/unit_tests: $(UNIT_SRCS) $(USER_OBJS) $(wildcard tests/unit/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(filter-out %.h,$^) -lcriterion $(LDLIBS) -o $@

$(BUILD)/fixtures/.stamp: tools/gen-linetable-fixtures.py tools/gen-fixtures.sh
	tools/gen-fixtures.sh $(BUILD)/fixtures
	touch $@

unit: $(BUILD)/unit_tests $(BUILD)/fixtures/.stamp pythons
	PYBPF_FIXTURES=$(BUILD)/fixtures PYBPF_PYTHONS=$(BUILD)/pythons $(BUILD)/unit_tests --jobs 2

# The built-in layout tables against offsetof() in every CPython's own headers.
layouts:
	tools/check-layouts.sh $(BUILD)

# Debian's python3.9 (bullseye) and 3.13-3.15 (sid), fetched into $(BUILD)/pythons.
pythons:
	tools/provision-pythons.sh $(BUILD)

# A program embedding Debian's libpython3.11 (rpath: not whatever the environment has).
$(BUILD)/embedded-app: tests/workloads/embed.c
	$(CC) $(CFLAGS) $< $$(/usr/bin/python3.11-config --cflags --embed) \
		$$(/usr/bin/python3.11-config --ldflags --embed) \
		-Wl,--disable-new-dtags,-rpath,/usr/lib/x86_64-linux-gnu -o $@

integration: $(BUILD)/pybpf $(BUILD)/embedded-app npm pythons
	$(PYTHON311) tests/integration/run.py --pybpf $(BUILD)/pybpf --build $(BUILD)

# Every output format read back by its real reader: speedscope's app and the
# flame graph in headless Chromium, pprof-format, the raw format's own spec.
# Screenshots go to $(BUILD)/formats/.
formats: $(BUILD)/pybpf npm
	$(PYTHON311) tests/integration/formats.py --pybpf $(BUILD)/pybpf --build $(BUILD)

check: all unit layouts integration formats

# Benchmarks against Austin, CPython's profiling.sampling and perf (issue 7):
# numbers go to BENCHMARKS.md.  Not part of `make check`.
bench-deps: all
	tools/provision-peers.sh $(BUILD)

bench: bench-deps
	$(PYTHON311) tools/bench/bench.py --build $(BUILD)

# A smoke run; it leaves the committed full results alone.
bench-quick: bench-deps
	$(PYTHON311) tools/bench/bench.py --quick --build $(BUILD) --out $(BUILD)/BENCHMARKS-quick.md

clean:
	rm -rf $(BUILD)
