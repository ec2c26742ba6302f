# isorules: see README.md. `make demo` audits the samples, `make check` runs
# every test; both install missing dependencies first (`make deps`).

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config

VERSION := $(shell sed -n 's/^\#define ISORULES_VERSION "\(.*\)"/\1/p' core/include/isorules.h)
MAJOR := $(firstword $(subst ., ,$(VERSION)))
PKGS := lua5.4 yaml-0.1 libutf8proc

B := build
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wwrite-strings
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) -Icore -Icore/include -I$(B)
DEP_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
DEP_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -pthread
CFLAGS ?= -O2 -g
LIB_CFLAGS := -fPIC -fvisibility=hidden -DISORULES_BUILDING

LIB_SRC := core/pos.c core/load.c core/util.c core/model.c core/sandbox.c core/rules.c \
           core/engine.c core/audit.c core/report.c core/expect.c core/keep.c core/pattern.c \
           core/pool.c core/merge.c
RULES := $(sort $(wildcard rules/*.lua))
HDRS := $(wildcard core/*.h) core/include/isorules.h

# the sanitized build that `make check` tests, warnings as errors
C := $(B)/check
CHECK_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -Werror
TESTS := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))

.PHONY: all deps check test demo install uninstall clean bench fuzz

all: $(B)/isorules $(B)/libisorules.a $(B)/libisorules.so


deps:
	@sh scripts/deps.sh

$(B)/embed: scripts/embed.c
	@mkdir -p $(B)
	$(CC) -O1 -o $@ $<

$(B)/builtin_rules.c: $(B)/embed $(RULES)
	$(B)/embed $@ $(RULES)

$(B)/obj/%.o: core/%.c $(HDRS)
	@mkdir -p $(B)/obj
	$(CC) $(BASE_CFLAGS) $(DEP_CFLAGS) $(LIB_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/obj/builtin_rules.o: $(B)/builtin_rules.c $(HDRS)
	@mkdir -p $(B)/obj
	$(CC) $(BASE_CFLAGS) $(DEP_CFLAGS) $(LIB_CFLAGS) $(CFLAGS) -c -o $@ $<

LIB_OBJ := $(patsubst core/%.c,$(B)/obj/%.o,$(LIB_SRC)) $(B)/obj/builtin_rules.o

$(B)/libisorules.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/libisorules.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libisorules.so.$(MAJOR) $(LDFLAGS) -o $(B)/libisorules.so.$(VERSION) $^ $(DEP_LIBS)
	ln -sf libisorules.so.$(VERSION) $(B)/libisorules.so.$(MAJOR)
	ln -sf libisorules.so.$(VERSION) $@

$(B)/isorules: core/cli.c $(B)/libisorules.a
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ core/cli.c $(B)/libisorules.a $(DEP_LIBS)

# ---- tests ----

$(C)/obj/%.o: core/%.c $(HDRS)
	@mkdir -p $(C)/obj
	$(CC) $(BASE_CFLAGS) $(DEP_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(C)/obj/builtin_rules.o: $(B)/builtin_rules.c $(HDRS)
	@mkdir -p $(C)/obj
	$(CC) $(BASE_CFLAGS) $(DEP_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

CHECK_OBJ := $(patsubst core/%.c,$(C)/obj/%.o,$(LIB_SRC)) $(C)/obj/builtin_rules.o

$(C)/isorules: core/cli.c $(CHECK_OBJ)
	$(CC) $(BASE_CFLAGS) $(DEP_CFLAGS) $(CHECK_CFLAGS) -o $@ $^ $(DEP_LIBS)

$(C)/test_%: tests/test_%.c tests/helpers.h scripts/fuzz/json_check.h $(CHECK_OBJ)
	$(CC) $(BASE_CFLAGS) $(DEP_CFLAGS) $(CHECK_CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka) -Itests \
	  -o $@ $< $(CHECK_OBJ) $(DEP_LIBS) $(shell $(PKG_CONFIG) --libs cmocka)

$(C)/yaml_suite: tests/yaml_suite.c $(CHECK_OBJ)
	$(CC) $(BASE_CFLAGS) $(DEP_CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(CHECK_OBJ) $(DEP_LIBS)

check: deps
	@$(MAKE) --no-print-directory all $(C)/isorules $(addprefix $(C)/,$(TESTS)) $(C)/yaml_suite
	@rm -rf $(C)/prefix
	@$(MAKE) --no-print-directory install PREFIX=$(CURDIR)/$(C)/prefix >/dev/null
	@sh tests/run.sh $(C) $(TESTS)

test: check

demo: deps
	@$(MAKE) --no-print-directory all
	@echo "+ build/isorules audit --as-of 2021-12-31 samples/"
	@$(B)/isorules audit --as-of 2021-12-31 --no-progress samples/ || [ $$? -eq 1 ]

# speed is measured side by side, never asserted: see docs/performance.md
$(B)/yaml-floor: scripts/yaml-floor.c
	@mkdir -p $(B)
	$(CC) -O2 -o $@ $< $(shell $(PKG_CONFIG) --cflags --libs yaml-0.1)

# Spectral, the peer (scripts/spectral/), is installed into build/npm-spectral;
# without it, its rows are left out. BENCH_FLAGS: e.g. --runs 3 --no-spectral
BENCH_FLAGS ?=
bench: deps
	@$(MAKE) --no-print-directory all $(B)/yaml-floor
	@sh scripts/spectral/install.sh || echo "bench: Spectral is not installed, its rows are left out"
	@python3 scripts/bench.py $(B) $(BENCH_FLAGS)

# ---- fuzzing (docs/fuzzing.md) ----
# libFuzzer harnesses (scripts/fuzz/) over the library built with clang's
# sanitizers into build/fuzz/. `make fuzz` runs each for FUZZ_SECONDS on its
# corpus build/fuzz/corpus-HARNESS; `make fuzz-smoke` replays
# tests/fuzz-regressions/ and runs each on its seeds, nothing mutated (CI runs
# it after `make check`).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FZ := $(B)/fuzz
FUZZERS := fuzz_load fuzz_audit fuzz_merge
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
  -fno-sanitize-recover=undefined
FUZZ_OBJ := $(patsubst core/%.c,$(FZ)/obj/%.o,$(LIB_SRC)) $(FZ)/obj/builtin_rules.o

$(FZ)/obj/%.o: core/%.c $(HDRS)
	@mkdir -p $(FZ)/obj
	$(FUZZ_CC) $(BASE_CFLAGS) $(DEP_CFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

$(FZ)/obj/builtin_rules.o: $(B)/builtin_rules.c $(HDRS)
	@mkdir -p $(FZ)/obj
	$(FUZZ_CC) $(BASE_CFLAGS) $(DEP_CFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

$(addprefix $(FZ)/,$(FUZZERS)): $(FZ)/%: scripts/fuzz/%.c scripts/fuzz/json_check.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(BASE_CFLAGS) $(DEP_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(DEP_LIBS)

.PHONY: fuzz-smoke fuzz-build
fuzz-build: deps
	@$(MAKE) --no-print-directory $(addprefix $(FZ)/,$(FUZZERS))

fuzz: fuzz-build
	@sh scripts/fuzz/run.sh $(FZ) $(FUZZ_SECONDS) $(FUZZERS)

# CI's smoke run mutates nothing, so that it finds the same things on every
# run: mutation is not reproducible here (docs/fuzzing.md), and new crashes
# are for `make fuzz` to find, not for a flaky CI
fuzz-smoke: fuzz-build
	@sh scripts/fuzz/run.sh $(FZ) 0 $(FUZZERS); replay=$$?; \
	  FUZZ_RUNS=0 sh scripts/fuzz/run.sh $(FZ) 1 $(FUZZERS) && [ $$replay = 0 ]

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib \
	  $(DESTDIR)$(PREFIX)/share/isorules/rules
	install -m 755 $(B)/isorules $(DESTDIR)$(PREFIX)/bin/
	install -m 644 core/include/isorules.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(B)/libisorules.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/libisorules.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libisorules.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libisorules.so.$(MAJOR)
	ln -sf libisorules.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libisorules.so
	install -m 644 $(RULES) $(DESTDIR)$(PREFIX)/share/isorules/rules/
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/share/man/man1
	@# the version comes from the header; Requires.private lets a static link
	@# find Lua, libyaml and utf8proc (pkg-config --static --libs isorules)
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' 'libdir=$${prefix}/lib' '' \
	  'Name: isorules' 'Description: rule-checking interpreter for ISO 9001 quality systems of agencies' \
	  'Version: $(VERSION)' 'Requires.private: $(PKGS)' 'Cflags: -I$${includedir}' \
	  'Libs: -L$${libdir} -lisorules' 'Libs.private: -lm -pthread' \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/isorules.pc
	install -m 644 docs/isorules.1 $(DESTDIR)$(PREFIX)/share/man/man1/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/isorules $(DESTDIR)$(PREFIX)/include/isorules.h \
	  $(DESTDIR)$(PREFIX)/lib/libisorules.a $(DESTDIR)$(PREFIX)/lib/libisorules.so* \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/isorules.pc $(DESTDIR)$(PREFIX)/share/man/man1/isorules.1
	rm -rf $(DESTDIR)$(PREFIX)/share/isorules

clean:
	rm -rf $(B)
