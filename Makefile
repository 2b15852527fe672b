# mailferry: plain make + pkg-config.
#
#   make            build ./mailferry
#   make demo       install what is missing, build, run the main job on docs/sample/
#   make check      make lint (LINT=0: not), then the whole test suite,
#                   normal build and ASan+UBSan build, then every fuzz target
#                   for FUZZ_SECONDS (FUZZ_SMOKE=0: not)
#   make fuzz       libFuzzer targets (clang) under build/fuzz/
#   make fuzz-smoke run each fuzz target for FUZZ_SECONDS (default 30)
#   make bench      benchmarks (bench/run.sh, pst.sh, directory.sh), figures into docs/BENCHMARKS.md
#   make lint       cppcheck and clang-tidy
#   make install    PREFIX=/usr/local
#
# Objects go to $(BUILD) (build/ by default); `make SANITIZE=address,undefined
# BUILD=build/san` builds the sanitizer variant beside it.

PKGS      := sqlite3 gmime-3.0 libical openssl libcurl libxml-2.0
PREFIX    ?= /usr/local
BUILD     ?= build
CC        ?= cc
CFLAGS    ?= -O2 -g
FUZZ_SECONDS ?= 30
FUZZ_SMOKE ?= 1
# (make has a built-in LINT = lint: only a value given by the user counts)
ifeq ($(origin LINT),default)
LINT := 1
endif

HAVE_PKGS := $(shell pkg-config --exists $(PKGS) 2>/dev/null && echo yes)
ifneq ($(HAVE_PKGS),yes)
ifeq ($(filter deps demo clean,$(MAKECMDGOALS)),)
$(error missing development packages (pkg-config: $(PKGS)); run 'make deps' or scripts/install-deps.sh)
endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

override CFLAGS   += -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
                     -Wmissing-prototypes -Wvla -Wwrite-strings -Wformat=2 \
                     -fno-common -MMD -MP $(PKG_CFLAGS)
override CPPFLAGS += -I. -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
LDLIBS    += $(PKG_LIBS) -lpthread -lm

ifdef SANITIZE
override CFLAGS  += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
override LDFLAGS += -fsanitize=$(SANITIZE)
endif

SCHEMA_SQL := $(sort $(wildcard schema/*.sql))
CORE_SRC   := $(wildcard core/*.c) $(BUILD)/schema.c
ENG_SRC    := $(wildcard engine/*.c)
IMP_SRC    := $(wildcard importers/*.c importers/*/*.c)
EXP_SRC    := $(wildcard exporters/*.c exporters/*/*.c exporters/*/*/*.c)
CLI_SRC    := $(wildcard cli/*.c)
LIB_SRC    := $(filter-out $(BUILD)/schema.c,$(CORE_SRC)) $(ENG_SRC) $(IMP_SRC) $(EXP_SRC)
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/schema.o
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC   := tests/harness.c $(wildcard tests/unit/*.c)
UNIT_OBJ   := $(UNIT_SRC:%.c=$(BUILD)/%.o)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
TOOL_SRC   := $(wildcard tests/tools/*.c)
TOOLS      := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

all: mailferry

# The binary at the top is the normal build's.
mailferry: $(BUILD)/mailferry
	@if [ "$(BUILD)" = build ]; then cp $< $@; fi

$(BUILD)/mailferry: $(CLI_OBJ) $(BUILD)/libmailferry.a
	@echo "  LINK $@"
	@$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libmailferry.a $(LDLIBS)

$(BUILD)/libmailferry.a: $(LIB_OBJ)
	@rm -f $@
	@echo "  AR $@"
	@$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/schema.c: $(SCHEMA_SQL) scripts/sql2c.sh
	@mkdir -p $(BUILD)
	sh scripts/sql2c.sh $(SCHEMA_SQL) > $@.tmp && mv $@.tmp $@

$(BUILD)/schema.o: $(BUILD)/schema.c
	@echo "  CC $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/run-unit: $(UNIT_OBJ) $(BUILD)/libmailferry.a
	@echo "  LINK $@"
	@$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(BUILD)/libmailferry.a $(LDLIBS)

# Replay each fuzz corpus with the normal compiler: every corpus file is a
# regression test.
$(BUILD)/replay-%: $(BUILD)/tests/fuzz/fuzz-%.o $(BUILD)/tests/fuzz/standalone.o $(BUILD)/libmailferry.a
	@echo "  LINK $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libmailferry.a
	@mkdir -p $(dir $@)
	@echo "  LINK $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libmailferry.a $(LDLIBS)

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	@echo "  LINK $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# pst-floor times the PST writer's own CRC (pst_crc) and the ledger's
# SHA-256 read-back (mf_sha256_fd): it links the library
$(BUILD)/bench/pst-floor: bench/pst-floor.c $(BUILD)/libmailferry.a
	@mkdir -p $(dir $@)
	@echo "  LINK $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libmailferry.a $(LDLIBS)

BENCH_TOOLS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

# The test build: mailferry with the exporters of tests/plugins/ registered
# too (exporters/registry.c again with -DMF_TEST_PLUGINS, linked before the
# library so that its registry is the one used).
TESTPLUG_SRC := $(wildcard tests/plugins/*/*.c)
TESTPLUG_OBJ := $(TESTPLUG_SRC:%.c=$(BUILD)/%.o) $(BUILD)/test-registry.o

$(BUILD)/test-registry.o: exporters/registry.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	@$(CC) $(CPPFLAGS) -DMF_TEST_PLUGINS $(CFLAGS) -c -o $@ $<

$(BUILD)/mailferry-test: $(CLI_OBJ) $(TESTPLUG_OBJ) $(BUILD)/libmailferry.a
	@echo "  LINK $@"
	@$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(TESTPLUG_OBJ) $(BUILD)/libmailferry.a $(LDLIBS)

# Everything a test run needs from one build variant.
test-build: $(BUILD)/mailferry $(BUILD)/mailferry-test $(BUILD)/run-unit $(FUZZ_NAMES:%=$(BUILD)/replay-%) $(TOOLS)

SAN_BUILD := build/san
# `make check` (what .ci/run runs) runs the static analysis (scripts/lint.sh)
# after the builds, as one part of the suite that fails on any finding
# (LINT=0 leaves it out); it also builds the libFuzzer targets and runs each
# for FUZZ_SECONDS at the end, two at a time (FUZZ_SMOKE=0 leaves that out).
check:
	@$(MAKE) --no-print-directory test-build mailferry
	@$(MAKE) --no-print-directory test-build BUILD=$(SAN_BUILD) SANITIZE=address,undefined
	@if [ "$(FUZZ_SMOKE)" = 1 ]; then $(MAKE) --no-print-directory fuzz; fi
	@LINT="$(LINT)" FUZZ_SMOKE="$(FUZZ_SMOKE)" FUZZ_SECONDS="$(FUZZ_SECONDS)" \
		FUZZ_NAMES="$(FUZZ_NAMES)" FUZZ_BUILD="$(FUZZ_BUILD)" sh tests/run.sh build $(SAN_BUILD)

# Only the normal build (quicker while working).
check-quick:
	@$(MAKE) --no-print-directory test-build mailferry
	@sh tests/run.sh build

# libFuzzer builds (clang), in their own build folder.
FUZZ_BUILD := build/fuzz
fuzz:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang \
		SANITIZE=fuzzer-no-link,address,undefined $(FUZZ_BUILD)/libmailferry.a \
		$(FUZZ_NAMES:%=$(FUZZ_BUILD)/tests/fuzz/fuzz-%.o)
	@for n in $(FUZZ_NAMES); do \
		echo "  LINK $(FUZZ_BUILD)/fuzz-$$n"; \
		clang -fsanitize=fuzzer,address,undefined -o $(FUZZ_BUILD)/fuzz-$$n \
			$(FUZZ_BUILD)/tests/fuzz/fuzz-$$n.o $(FUZZ_BUILD)/libmailferry.a $(LDLIBS) || exit 1; \
	done

fuzz-smoke: fuzz
	@sh tests/fuzz/smoke.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

deps:
	@sh scripts/install-deps.sh

demo:
	@sh scripts/install-deps.sh
	@$(MAKE) --no-print-directory mailferry
	@sh scripts/demo.sh

bench:
	@sh scripts/install-deps.sh --bench
	@$(MAKE) --no-print-directory mailferry $(TOOLS) $(BENCH_TOOLS)
	@sh bench/run.sh
	@sh bench/pst.sh
	@sh bench/directory.sh

lint:
	@sh scripts/lint.sh

install: mailferry
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 mailferry $(DESTDIR)$(PREFIX)/bin/mailferry
	if [ -f docs/mailferry.1 ]; then install -m 644 docs/mailferry.1 $(DESTDIR)$(PREFIX)/share/man/man1/; fi

clean:
	rm -rf build mailferry

.SECONDARY:

.PHONY: all check check-quick test-build fuzz fuzz-smoke deps demo bench lint install clean mailferry

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
