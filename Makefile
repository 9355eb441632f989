# pybpf build.  `make` builds build/pybpf; `make check` runs every test.
BUILD      ?= build
CC         ?= gcc
CLANG      ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL    ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
PYTHON311  ?= /usr/bin/python3.11

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE
# One include root per kind: sources name headers by layer ("base/hashmap.h"),
# the BPF program's shared headers by name, the generated ones from $(BUILD).
CPPFLAGS += -I$(BUILD) -Ibpf -Iuser
DEPFLAGS  = -MMD -MP
LDLIBS   += -lbpf -lelf -lz -lncursesw -lm

BPF_CFLAGS := -g -O2 -Wall -target bpf -D__TARGET_ARCH_x86 -Ivmlinux -Ibpf

# user/LAYER/*.c: cli, session, python, native, process, profile, output, base.
USER_SRCS := $(filter-out user/cli/main.c,$(wildcard user/*/*.c))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(USER_SRCS))
UNIT_SRCS := $(wildcard tests/unit/*/*.c) tests/common/fake_target.c tests/common/fake_objects.c

# A recipe that fails leaves no half-written target for the next make to trust.
.DELETE_ON_ERROR:

.PHONY: FORCE all static install uninstall deb packaging deps demo check check-asan fuzz fuzz-corpora unit layouts integration truth truth-scale kernels formats faults otlp otelcol vmlinux clean npm pythons bench bench-deps bench-quick truth-bench startup-bench memory-bench otlp-bench otlp-soak
all: $(BUILD)/pybpf

$(BUILD)/pyperf.bpf.o: bpf/pyperf.bpf.c vmlinux/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@
	$(LLVM_STRIP) -g $@

# Written whole or not at all: a failed bpftool leaves no truncated header.
$(BUILD)/pyperf.skel.h: $(BUILD)/pyperf.bpf.o
	$(BPFTOOL) gen skeleton $< name pyperf_bpf > $@.tmp
	mv $@.tmp $@

# Headers are prerequisites through the .d files -MMD writes; the skeleton
# must exist before the first build has any.
$(BUILD)/obj/%.o: user/%.c | $(BUILD)/pyperf.skel.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

# The scripts and styles the SVG and HTML outputs embed, as C strings
# (user/output/NAME.EXT -> BUILD/NAME_EXT.h, NAME_EXT[]).  They sit in a
# CDATA section or a <script>/<style> element, which must not end early.
define embed_text
	@mkdir -p $(@D)
	@! grep -n -i ']]>\|</script\|</style' $< || { echo "$<: that would end its element early" >&2; exit 1; }
	{ echo 'static const char $(1)[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@
endef
$(BUILD)/%_js.h: user/output/%.js
	$(call embed_text,$*_js)
$(BUILD)/%_css.h: user/output/%.css
	$(call embed_text,$*_css)

$(BUILD)/obj/output/flame_svg.o: $(BUILD)/flamegraph_js.h
$(BUILD)/obj/output/heatmap.o: $(BUILD)/heatmap_js.h $(BUILD)/heatmap_css.h

# The commit pybpf is built from, for --version: git's, else PYBPF_COMMIT
# (a build from a source tarball, e.g. the Debian package's).  Rewritten only
# when it changes, so an unchanged tree is not rebuilt.
PYBPF_COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
$(BUILD)/commit.h: FORCE
	@mkdir -p $(@D)
	@echo '#define PYBPF_COMMIT "$(or $(PYBPF_COMMIT),unknown)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@
FORCE:
$(BUILD)/obj/cli/main.o: $(BUILD)/commit.h

$(BUILD)/pybpf: $(BUILD)/obj/cli/main.o $(USER_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# One file for any distribution with this glibc or a newer one: libbpf,
# libelf, zlib and ncurses from Debian's own .a files, the BPF object
# embedded as always; only libc and libm stay shared.
STATIC_LIBS := -Wl,-Bstatic -lbpf -lelf -lz -lncursesw -ltinfo -Wl,-Bdynamic -lm
$(BUILD)/pybpf-static: $(BUILD)/obj/cli/main.o $(USER_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(STATIC_LIBS) -o $@
static: $(BUILD)/pybpf-static

# ---- installing ------------------------------------------------------------
PREFIX ?= /usr/local
BINDIR := $(PREFIX)/bin
MAN1DIR := $(PREFIX)/share/man/man1
DOCDIR := $(PREFIX)/share/doc/pybpf
COMPLETIONDIR := $(PREFIX)/share/bash-completion/completions
INSTALLED := $(BINDIR)/pybpf $(MAN1DIR)/pybpf.1 $(COMPLETIONDIR)/pybpf $(DOCDIR)/README.md $(DOCDIR)/LICENSE

install: all
	install -D -m 0755 $(BUILD)/pybpf $(DESTDIR)$(BINDIR)/pybpf
	install -D -m 0644 tools/man/pybpf.1 $(DESTDIR)$(MAN1DIR)/pybpf.1
	install -D -m 0644 tools/completion/pybpf.bash $(DESTDIR)$(COMPLETIONDIR)/pybpf
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -D -m 0644 LICENSE $(DESTDIR)$(DOCDIR)/LICENSE

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

# The Debian package (tools/debian/ is its debian/), built and checked with lintian.
deb:
	tools/build-deb.sh $(BUILD)/deb "$(or $(PYBPF_COMMIT),unknown)"

-include $(USER_OBJS:.o=.d) $(BUILD)/obj/cli/main.d $(BUILD)/pyperf.bpf.d

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

# The README's first command: everything installed, pybpf on the PATH.
demo: deps install
	tools/demo.sh $(BINDIR)/pybpf

# ---- tests ---------------------------------------------------------------
# tests/unit/LAYER/ mirrors user/LAYER/; tests/unit/*.h are the tests' own helpers.
$(BUILD)/unit_tests: $(UNIT_SRCS) $(USER_OBJS) $(wildcard tests/unit/*.h)
	$(CC) $(CPPFLAGS) -Itests/unit -Itests/common $(CFLAGS) $(DEPFLAGS) -MF $@.d $(filter-out %.h,$^) -lcriterion $(LDLIBS) -o $@

-include $(BUILD)/unit_tests.d

$(BUILD)/fixtures/.stamp: tools/gen-linetable-fixtures.py tools/gen-fixtures.sh
	tools/gen-fixtures.sh $(BUILD)/fixtures
	touch $@

unit: $(BUILD)/unit_tests $(BUILD)/fixtures/.stamp pythons
	PYBPF_FIXTURES=$(BUILD)/fixtures PYBPF_PYTHONS=$(BUILD)/pythons $(BUILD)/unit_tests --jobs 2

# The built-in layout tables against offsetof() in every CPython's own headers.
layouts: pythons
	tools/check-layouts.sh $(BUILD)

# Debian's python3.9 (bullseye) and 3.13-3.15 (sid), fetched into $(BUILD)/pythons,
# and free-threaded 3.13t+ built from Debian's source packages (cached in /var/cache/pybpf).
pythons:
	tools/provision-pythons.sh $(BUILD)

# A program embedding Debian's libpython3.11 (rpath: not whatever the environment has).
$(BUILD)/embedded-app: tests/workloads/embed.c
	$(CC) $(CFLAGS) $< $$(/usr/bin/python3.11-config --cflags --embed) \
		$$(/usr/bin/python3.11-config --ldflags --embed) \
		-Wl,--disable-new-dtags,-rpath,/usr/lib/x86_64-linux-gnu -o $@

# INTERPRETERS (a regular expression over the interpreters' labels, as the
# tests print them) runs the per-interpreter tests on those only.
INTERPRETERS ?=
ONLY_INTERPRETERS = $(if $(INTERPRETERS),--interpreters '$(INTERPRETERS)')
integration: $(BUILD)/pybpf $(BUILD)/embedded-app npm pythons
	$(PYTHON311) tests/integration/run.py --pybpf $(BUILD)/pybpf --build $(BUILD) $(ONLY_INTERPRETERS)

# Every output format read back by its real reader: speedscope's app and the
# flame graph in headless Chromium, pprof-format, the raw format's own spec.
# Screenshots go to $(BUILD)/formats/.
formats: $(BUILD)/pybpf npm
	$(PYTHON311) tests/integration/formats.py --pybpf $(BUILD)/pybpf --build $(BUILD)

# A process that looks like CPython to pybpf but holds hostile memory,
# following pybpf's own layout table.
$(BUILD)/hostile: tests/workloads/hostile.c $(BUILD)/obj/python/py_layout.o
	$(CC) $(CPPFLAGS) $(CFLAGS) $^ -lpthread -o $@

# A native thread calling back into Python (tests/workloads/gilstate.py):
# -nostdlib, so it loads into any interpreter's tree, whatever its glibc.
$(BUILD)/libgilstate.so: tests/workloads/gilstate_churn.c
	@mkdir -p $(@D)
	$(CC) -O2 -shared -fPIC -nostdlib $< -o $@

# Every sample true or marked (issue 12): short-lived code, torn frames,
# 9,000 and 100,000 threads, callback thread states, sub-interpreters.
# pybpf on Debian's own kernels (bullseye 5.10, bookworm 6.1, trixie 6.12,
# sid's newest), each booted under QEMU with virtme-ng (tools/kernels/);
# the kernels and virtme-ng are cached in /var/cache/pybpf/vm.  KERNEL_SUITES
# picks some (CI: bullseye, the one with neither bpf_loop nor prev_state).
KERNEL_SUITES ?= bullseye bookworm trixie sid
kernels: $(BUILD)/pybpf npm pythons
	$(PYTHON311) tests/kernels/kernels.py --pybpf $(BUILD)/pybpf --build $(BUILD) \
		$(foreach suite,$(KERNEL_SUITES),--suite $(suite))

truth: $(BUILD)/pybpf $(BUILD)/embedded-app $(BUILD)/libgilstate.so npm pythons
	$(PYTHON311) tests/integration/truth.py --pybpf $(BUILD)/pybpf --build $(BUILD) $(ONLY_INTERPRETERS)

# 100,000 threads in one process (kernel.pid_max and vm.max_map_count are
# raised for it, then restored): not in `make check`, see truth.py.
truth-scale: $(BUILD)/pybpf
	PYBPF_SCALE=1 $(PYTHON311) tests/integration/truth.py --pybpf $(BUILD)/pybpf --build $(BUILD)

# Faults (issue 8): bad targets, signals, full disks, floods, hostile and
# corrupt targets, privileges, the output file, memory limits.
faults: $(BUILD)/pybpf $(BUILD)/hostile npm pythons
	$(PYTHON311) tests/integration/faults.py --pybpf $(BUILD)/pybpf --build $(BUILD)

# The OpenTelemetry Collector `record --otlp` is tested against (issue 22):
# Debian's collector core built offline in a sid tree, cached outside the
# clone (tools/provision-otelcol.sh).
otelcol:
	tools/provision-otelcol.sh $(BUILD)

otlp: $(BUILD)/pybpf otelcol pythons
	$(PYTHON311) tests/integration/otlp.py --pybpf $(BUILD)/pybpf --build $(BUILD)

# Installed as users install it (issue 17): man page, completion, make
# install, the portable binary in a sid tree, the Debian package in a fresh
# bookworm tree.
packaging: $(BUILD)/pybpf pythons
	$(PYTHON311) tests/packaging/packaging.py --pybpf $(BUILD)/pybpf --build $(BUILD)

check: all unit layouts integration truth formats faults otlp packaging fuzz-corpora check-asan

# pybpf and the unit tests rebuilt with ASan, LSan and UBSan in $(ASAN_BUILD),
# then the unit, integration, format and fault tests run against them.  Any
# sanitizer error, or a leak at exit, ends pybpf with status 86, which no
# test accepts.  GCC's "undefined" leaves out float-cast-overflow, which
# options given in seconds need.  The interpreters, npm modules, fixtures
# and workload programs are $(BUILD)'s, linked rather than fetched or built
# again (-o: the sanitized objects never make the programs out of date).
# tests/lsan.supp lists the leaks that belong to other libraries (ncurses).
# Criterion counts a test as passed before its worker exits, so a leak found
# at that exit would go unnoticed: the unit tests' reports go to files in
# $(ASAN_REPORTS), and any file there fails the run.  faults.py bounds
# pybpf's peak RSS, which ASan's 256 MB quarantine of freed blocks alone
# would pass: it gets 16 MB of quarantine.
# The sanitized integration and truth tests run on ASAN_INTERPRETERS, one of
# each path pybpf's own code takes by interpreter (the layout table's oldest
# and newest versions, _Py_DebugOffsets, Py_DEBUG, free-threaded, shared,
# static, non-PIE and embedded builds, a container), not on all 22 again: the
# unsanitized run covers every interpreter, and the whole matrix twice took
# most of CI's 90 minutes.
ASAN_INTERPRETERS := ^(python3\.8 pyenv|python3\.11 debian bookworm|python3\.12 pyenv|embedded-app |python3\.14 debian sid, static, overlayfs|python3\.15d |python3\.15 debian sid, python3\.15-nopie|python3\.13t )
ASAN_BUILD   ?= build-asan
ASAN_CFLAGS  := -O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all \
		-fno-omit-frame-pointer
ASAN_OPTS    := detect_leaks=1:halt_on_error=1:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1
ASAN_REPORTS := $(abspath $(ASAN_BUILD))/unit-reports
ASAN_MAKE    := CFLAGS="$(ASAN_CFLAGS)" UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=86 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
ASAN_SUBMAKE  = $(MAKE) BUILD=$(ASAN_BUILD) -o $(ASAN_BUILD)/embedded-app -o $(ASAN_BUILD)/hostile \
		-o $(ASAN_BUILD)/libgilstate.so

check-asan: npm pythons otelcol $(BUILD)/fixtures/.stamp $(BUILD)/embedded-app $(BUILD)/hostile $(BUILD)/libgilstate.so
	mkdir -p $(ASAN_BUILD)
	for f in npm pythons otelcol fixtures embedded-app hostile libgilstate.so; do ln -sfn $(abspath $(BUILD))/$$f $(ASAN_BUILD)/$$f; done
	rm -rf $(ASAN_REPORTS) && mkdir $(ASAN_REPORTS)
	$(ASAN_MAKE) ASAN_OPTIONS=$(ASAN_OPTS):log_path=$(ASAN_REPORTS)/report $(ASAN_SUBMAKE) unit
	@! ls $(ASAN_REPORTS)/* > /dev/null 2>&1 || { cat $(ASAN_REPORTS)/*; echo "check-asan: sanitizer reports in the unit tests" >&2; exit 1; }
	$(ASAN_MAKE) ASAN_OPTIONS=$(ASAN_OPTS) $(ASAN_SUBMAKE) -o otelcol INTERPRETERS='$(ASAN_INTERPRETERS)' integration truth formats otlp
	$(ASAN_MAKE) ASAN_OPTIONS=$(ASAN_OPTS):quarantine_size_mb=16 $(ASAN_SUBMAKE) faults

# ---- fuzzing (issue 8) --------------------------------------------------
# One libFuzzer target per parser of target-controlled data
# (tests/fuzz/fuzz_NAME.c), under ASan and UBSan, seeded from
# tests/fuzz/corpus/NAME/.  `make fuzz` runs each for FUZZ_SECONDS over
# $(FUZZ_DIR)/corpus/NAME, a copy of the seeds kept between runs, so what it
# finds never lands in the committed corpus; crashes go to
# $(FUZZ_DIR)/crash-NAME-*.  `make fuzz-corpora` runs every seed once.
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_CFLAGS  := -g -O1 -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE -Wall -Wextra \
		-Wno-unused-parameter -Iuser -Ibpf -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
# The parsers and what they call, as an archive: each target links what it uses.
FUZZ_LIB_SRCS := base/array base/bytes base/clock base/hashmap base/log native/cfi native/dwarf_expr \
		 native/dwarf_read native/eh_frame native/elf_symbols native/symbol_table native/unwind \
		 output/recording_reader process/proc_info process/proc_maps process/target_mem \
		 profile/profile profile/sources python/debug_offsets python/linetable python/py_layout python/py_walk \
		 python/pystr python/python_target python/symbolizer session/stack_marks \
		 python/thread_names python/py_dict python/py_objects python/py_set python/asyncio_tasks python/asyncio_debug
FUZZ_RUN     = UBSAN_OPTIONS=print_stacktrace=1 $(FUZZ_DIR)/fuzz_$$n -timeout=10 \
		-artifact_prefix=$(FUZZ_DIR)/crash-$$n-

$(FUZZ_DIR)/obj/%.o: user/%.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) $(DEPFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

-include $(FUZZ_LIB_SRCS:%=$(FUZZ_DIR)/obj/%.d)

$(FUZZ_DIR)/libparsers.a: $(FUZZ_LIB_SRCS:%=$(FUZZ_DIR)/obj/%.o)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_DIR)/libparsers.a
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_DIR)/libparsers.a -lelf -lz -o $@

fuzz: $(FUZZ_BINS)
	@for n in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$n && cp tests/fuzz/corpus/$$n/* $(FUZZ_DIR)/corpus/$$n/ && \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s" && \
		$(FUZZ_RUN) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(FUZZ_DIR)/corpus/$$n || exit 1; \
	done

fuzz-corpora: $(FUZZ_BINS)
	@for n in $(FUZZ_NAMES); do \
		$(FUZZ_RUN) tests/fuzz/corpus/$$n/* > $(FUZZ_DIR)/$$n.log 2>&1 || \
			{ cat $(FUZZ_DIR)/$$n.log; exit 1; }; \
		echo "fuzz-corpora: $$n: $$(ls tests/fuzz/corpus/$$n | wc -l) seeds pass"; \
	done

# Benchmarks against Austin, CPython's profiling.sampling and perf (issue 7):
# numbers go to BENCHMARKS.md.  Not part of `make check`.
bench-deps: all
	tools/provision-peers.sh $(BUILD)

bench: bench-deps
	$(PYTHON311) tools/bench/bench.py --build $(BUILD)
	$(MAKE) truth-bench
	$(MAKE) startup-bench
	$(MAKE) memory-bench
	$(MAKE) otlp-bench
	$(MAKE) otlp-soak

# Issue 12's costs against pybpf before it (BASE_REV), alternating in one
# run; replaces its section of BENCHMARKS.md.
BASE_REV ?= 320894d
# pybpf as it was at a revision, built apart: BUILD/base-REV/build/pybpf.
$(BUILD)/base-%/build/pybpf:
	rm -rf $(BUILD)/base-$* && mkdir -p $(BUILD)/base-$*
	git archive $* | tar -x -C $(BUILD)/base-$*
	$(MAKE) -C $(BUILD)/base-$* all

truth-bench: all $(BUILD)/hostile $(BUILD)/base-$(BASE_REV)/build/pybpf
	$(PYTHON311) tools/bench/truth_cost.py --pybpf $(BUILD)/pybpf --hostile $(BUILD)/hostile \
		--base $(BUILD)/base-$(BASE_REV)/build/pybpf --base-rev $(BASE_REV) --out BENCHMARKS.md

# Issue 15's start-up (CPU, page faults, peak RSS of a short recording)
# against pybpf before the start-up work (STARTUP_BASE_REV), alternating.
STARTUP_BASE_REV ?= 533b98c
startup-bench: all $(BUILD)/base-$(STARTUP_BASE_REV)/build/pybpf
	$(PYTHON311) tools/bench/startup_cost.py --pybpf $(BUILD)/pybpf \
		--base $(BUILD)/base-$(STARTUP_BASE_REV)/build/pybpf --base-rev $(STARTUP_BASE_REV) --out BENCHMARKS.md

# Issue 21: --mode memory's cost on an allocation-heavy run, beside the run
# alone and memory_profiler (bench-deps installs it), alternating.
memory-bench: all
	cd tools/bench && $(PYTHON311) memory_cost.py --pybpf $(abspath $(BUILD))/pybpf \
		--out $(abspath BENCHMARKS.md)

# The --otlp agent against a local file (issue 22).
otlp-bench: all otelcol
	cd tools/bench && $(PYTHON311) otlp_cost.py --pybpf $(abspath $(BUILD))/pybpf --build $(abspath $(BUILD)) \
		--out $(abspath BENCHMARKS.md)

# An agent's memory while thousands of processes come and go, beside the
# agent before it let go of what it had sent (issue 22).
SOAK_BASE_REV ?= 6ead32a
otlp-soak: all otelcol $(BUILD)/base-$(SOAK_BASE_REV)/build/pybpf
	cd tools/bench && $(PYTHON311) otlp_soak.py --pybpf $(abspath $(BUILD))/pybpf \
		--base $(abspath $(BUILD))/base-$(SOAK_BASE_REV)/build/pybpf --base-rev $(SOAK_BASE_REV) \
		--build $(abspath $(BUILD)) --out $(abspath BENCHMARKS.md)

# A smoke run; it leaves the committed full results alone.
bench-quick: bench-deps
	$(PYTHON311) tools/bench/bench.py --quick --build $(BUILD) --out $(BUILD)/BENCHMARKS-quick.md

clean:
	rm -rf $(BUILD)
