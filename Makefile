# OpenCME build.  `make` builds the programs into build/; `make SAN=1`
# builds the same tree with ASan+UBSan into build-asan/.
# `make demo` and `make test` are the two set-up commands of the README.

SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build-asan
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
else
BUILD ?= build
SANFLAGS =
endif

CC ?= cc
PKGS = libssl libcrypto libevent libevent_openssl sqlite3 libxml-2.0 libsrtp2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
EDIT_CFLAGS := $(shell pkg-config --cflags libedit 2>/dev/null)
EDIT_LIBS := $(shell pkg-config --libs libedit 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -Wcast-qual -Wpointer-arith \
	-Wno-format-nonliteral
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) \
	-Isrc $(PKG_CFLAGS)
LDFLAGS += $(SANFLAGS)

LIB_SRCS := $(sort $(wildcard src/lib/*.c src/fmt/*.c src/cli/*.c \
	src/config/*.c src/pki/*.c src/store/*.c src/call/*.c src/media/*.c \
	src/svc/*/*.c src/daemon/*.c))
LIB_SRCS := $(filter-out src/daemon/main.c,$(LIB_SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libopencme.a

CLI_SRCS := $(sort $(wildcard tools/opencme/*.c))
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)

TLV_SRCS := $(sort $(wildcard tools/opencme-tlv/*.c))
TLV_OBJS := $(TLV_SRCS:%.c=$(BUILD)/obj/%.o)

PHONE_SRCS := $(sort $(wildcard tools/opencme-phone/*.c))
PHONE_OBJS := $(PHONE_SRCS:%.c=$(BUILD)/obj/%.o)

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/tests/replay_%)

PROGS = $(BUILD)/opencmed $(BUILD)/opencme $(if $(TLV_SRCS),$(BUILD)/opencme-tlv) \
	$(if $(PHONE_SRCS),$(BUILD)/opencme-phone)

.PHONY: all clean demo test deps deps-test unit fuzz-replay fuzz format doc \
	format-check checks integration cli-golden bench

all: $(PROGS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EDIT_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/opencmed: $(BUILD)/obj/src/daemon/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/opencme: $(CLI_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(EDIT_LIBS)

$(BUILD)/opencme-tlv: $(TLV_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/opencme-phone: $(PHONE_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

# Each fuzz target also builds as a plain program that replays its corpus,
# so the targets are exercised by every `make test`.
$(BUILD)/tests/replay_%: $(BUILD)/obj/tests/fuzz/%.o \
		$(BUILD)/obj/tests/fuzz/replay_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

clean:
	rm -rf build build-asan build-fuzz

deps:
	scripts/deps.sh run

deps-test:
	scripts/deps.sh test

unit: $(UNIT_BINS)
	@scripts/run-unit.sh $(UNIT_BINS)

fuzz-replay: $(FUZZ_REPLAY)
	@scripts/run-fuzz-replay.sh $(BUILD)

cli-golden: $(PROGS)
	@scripts/run-golden.sh $(BUILD)

integration: $(PROGS)
	OPENCME_BUILD=$(abspath $(BUILD)) /usr/bin/python3 -m pytest -q \
		-p no:cacheprovider tests/integration

checks: $(BUILD)/opencmed
	@scripts/check-format.sh
	@scripts/check-layering.sh
	@$(BUILD)/opencmed -C | cmp -s - doc/commands.md || \
		{ echo "doc: doc/commands.md is stale: run 'make doc'"; exit 1; }
	@echo "doc: commands.md current"

doc: $(BUILD)/opencmed
	$(BUILD)/opencmed -C > doc/commands.md

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# libFuzzer builds (clang); `make fuzz` builds every target into build-fuzz/.
fuzz:
	scripts/build-fuzz.sh

# Benchmark programs linked with the library (bench/run-*.sh run them).
BENCH_BINS := $(BUILD)/bench/relay_load

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

bench: all $(BENCH_BINS)
	@scripts/run-bench.sh $(BUILD)

demo: deps
	$(MAKE) all
	scripts/demo.sh build

# The whole suite under ASan+UBSan.
test: deps-test
	$(MAKE) SAN=1 all
	$(MAKE) SAN=1 checks
	$(MAKE) SAN=1 unit
	$(MAKE) SAN=1 fuzz-replay
	$(MAKE) SAN=1 cli-golden
	$(MAKE) SAN=1 integration
