# impcert: one non-recursive Makefile for the harness, the plugins, refimp,
# the Squirrel interpreter and the tests. `make help` lists the targets.

BUILD   ?= build
SAN     ?= 0
CC      ?= cc
PROTOC  ?= protoc-c

ifeq ($(SAN),1)
BUILD   := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
endif
# FUZZ=1: everything built by clang with libFuzzer's coverage hooks plus
# ASan/UBSan into build-fuzz/ (used by `make fuzz`; docs/fuzzing.md).
FUZZ    ?= 0
ifeq ($(FUZZ),1)
BUILD   := build-fuzz
CC      := clang
OPT     := -O1 -g
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined \
            -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

# Debian packages the build and the tests need (checked by `make deps`).
DEB_PACKAGES := gcc make pkg-config libcunit1-dev libpcap-dev libssl-dev libjansson-dev \
                libprotobuf-c-dev protobuf-c-compiler libxml2-dev \
                libxml2-utils tshark python3-junitparser chromium \
                lua5.4 clang libclang-rt-14-dev valgrind

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CSTD     := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT      ?= -O2 -g
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) $(SANFLAGS) -MMD -MP $(CFLAGS)
LDFLAGS_ALL = $(SANFLAGS) $(LDFLAGS)

GEN      := $(BUILD)/gen
OBJ      := $(BUILD)/obj
BIN      := $(BUILD)/bin
LIB      := $(BUILD)/lib
PLUGDIR  := $(BUILD)/plugins
TESTBIN  := $(BUILD)/tests

PROTOS   := specs/wire.proto specs/jig.proto
GEN_C    := $(patsubst specs/%.proto,$(GEN)/impcert/%.pb-c.c,$(PROTOS))
GEN_H    := $(GEN_C:.c=.h)

.PHONY: all deps check certify clean help unit conformance sqcheck bench mutants mutants-selftest
# sqrun exists once the interpreter's runner does.
SQRUN    := $(if $(wildcard reference-fw/sqrun.c),$(BIN)/sqrun)
all: $(BIN)/impcert $(BIN)/refimp $(SQRUN) plugins $(BIN)/capgen

help:
	@echo "make deps      install the Debian packages the build needs (as root)"
	@echo "make all       build impcert, refimp, sqrun and the plugins into $(BUILD)/"
	@echo "make check     build, then run every unit and conformance test"
	@echo "make certify   build, then certify refimp: reports/certification/"
	@echo "make bench     build, run tests/bench/: table + reports/bench.json"
	@echo "make mutants   run the suite against each tests/mutants/*.patch (slow)"
	@echo "make mutants-selftest  the mutant machinery, and every patch still applies"
	@echo "make cross-armhf, cross-arm64, cross-bare   ARM builds (docs/cross.md)"
	@echo "make cross-check  the suite against the armhf and arm64 builds (qemu)"
	@echo "make size      text/data/bss per target: reports/size.json"
	@echo "make clean     remove $(BUILD)/ and the reports"
	@echo "make install   install into \$$DESTDIR\$$PREFIX (default /usr/local)"
	@echo "SAN=1          build into build-san/ with ASan + UBSan"
	@echo "make fuzz      build the libFuzzer targets (clang) into build-fuzz/ and run"
	@echo "               each for FUZZ_SECONDS (default 60); docs/fuzzing.md"

# ---- dependencies --------------------------------------------------------
# A stamp keeps `make check` from asking dpkg on every run.
deps: $(BUILD)/.deps
$(BUILD)/.deps: Makefile tools/deps.sh
	@sh tools/deps.sh $(DEB_PACKAGES)
	@mkdir -p $(@D) && touch $@

# ---- generated protocol code (the contract in machine form) -------------
# Generated into gen/impcert/ so the SDK includes them as <impcert/x.pb-c.h>.
$(GEN)/impcert/%.pb-c.c $(GEN)/impcert/%.pb-c.h: specs/%.proto | $(BUILD)/.deps
	@mkdir -p $(GEN)/impcert
	$(PROTOC) --proto_path=specs --c_out=$(GEN)/impcert $<

# Generated code is compiled once per side, so each side owns its objects.
PB_CFLAGS := $(shell pkg-config --cflags libprotobuf-c 2>/dev/null)
PB_LIBS   := $(shell pkg-config --libs libprotobuf-c 2>/dev/null || echo -lprotobuf-c)

# ---- Squirrel interpreter: reference-fw/sq ---------------------------------
SQ_SRC   := $(wildcard reference-fw/sq/*.c)
SQ_OBJ   := $(SQ_SRC:%.c=$(OBJ)/%.o)
SQ_CFLAGS := -Ireference-fw/sq

$(LIB)/libsq.a: $(SQ_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(OBJ)/reference-fw/sq/%.o: reference-fw/sq/%.c | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(SQ_CFLAGS) -c $< -o $@

$(BIN)/sqrun: $(OBJ)/reference-fw/sqrun.o $(LIB)/libsq.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) $^ -lm -o $@

$(OBJ)/reference-fw/sqrun.o: reference-fw/sqrun.c | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(SQ_CFLAGS) -c $< -o $@

# ---- refimp: reference-fw/{core,api,hal/posix} + main.c --------------------
RF_SRC   := $(wildcard reference-fw/core/*.c reference-fw/api/*.c \
                       reference-fw/run/*.c \
                       reference-fw/hal/posix/*.c) reference-fw/main.c
RF_OBJ   := $(RF_SRC:%.c=$(OBJ)/%.o)
RF_PB_OBJ := $(OBJ)/refimp-gen/wire.pb-c.o $(OBJ)/refimp-gen/jig.pb-c.o
RF_CFLAGS := -Ireference-fw -Ireference-fw/sq -I$(GEN)/impcert $(PB_CFLAGS)
RF_LIBS  := $(LIB)/libsq.a -lssl -lcrypto $(PB_LIBS) -lm

$(OBJ)/refimp-gen/%.pb-c.o: $(GEN)/impcert/%.pb-c.c $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(PB_CFLAGS) -c $< -o $@

$(OBJ)/reference-fw/%.o: reference-fw/%.c $(GEN_H) | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(RF_CFLAGS) -c $< -o $@

# Everything but main.c, so unit tests can link refimp's modules.
$(LIB)/librefimp.a: $(filter-out $(OBJ)/reference-fw/main.o,$(RF_OBJ)) $(RF_PB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BIN)/refimp: $(OBJ)/reference-fw/main.o $(LIB)/librefimp.a $(LIB)/libsq.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) $(OBJ)/reference-fw/main.o $(LIB)/librefimp.a \
	  $(RF_LIBS) -o $@

# ---- impcert: harness/src ---------------------------------------------------
IC_SRC   := $(wildcard harness/src/*.c)
IC_OBJ   := $(IC_SRC:%.c=$(OBJ)/%.o)
IC_PB_OBJ := $(OBJ)/harness-gen/wire.pb-c.o $(OBJ)/harness-gen/jig.pb-c.o
IC_CFLAGS := -D_GNU_SOURCE -Iharness/include -Iharness/src -I$(GEN) $(PB_CFLAGS) \
             $(shell pkg-config --cflags libxml-2.0 2>/dev/null) \
             -fvisibility=hidden
IC_LIBS  := -lssl -lcrypto -lpcap -ljansson $(PB_LIBS) \
            $(shell pkg-config --libs libxml-2.0 2>/dev/null || echo -lxml2) \
            -ldl -lpthread -lm

# Generated code keeps default visibility: plugins use its descriptors.
$(OBJ)/harness-gen/%.pb-c.o: $(GEN)/impcert/%.pb-c.c $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -fPIC $(PB_CFLAGS) -c $< -o $@

$(OBJ)/harness/%.o: harness/%.c $(GEN_H) | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -fPIC $(IC_CFLAGS) -c $< -o $@

$(LIB)/libimpcert.a: $(filter-out $(OBJ)/harness/src/main.o,$(IC_OBJ)) $(IC_PB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BIN)/impcert: $(OBJ)/harness/src/main.o $(LIB)/libimpcert.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -rdynamic $(OBJ)/harness/src/main.o \
	  -Wl,--whole-archive $(LIB)/libimpcert.a -Wl,--no-whole-archive \
	  $(IC_LIBS) -o $@

# ---- tools/capgen: writes captures from conversations (docs/captures.md)
$(BIN)/capgen: $(OBJ)/tools/capgen/capgen.o $(LIB)/libimpcert.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) $< $(LIB)/libimpcert.a $(IC_LIBS) -o $@

$(OBJ)/tools/%.o: tools/%.c $(GEN_H) | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(IC_CFLAGS) -c $< -o $@

# ---- plugins: one shared object per plugins/<group>/ ------------------------
PLUGIN_DIRS := $(patsubst plugins/%/,%,$(sort $(dir $(wildcard plugins/*/*.c))))
PLUGINS     := $(PLUGIN_DIRS:%=$(PLUGDIR)/%.so)
PLUGIN_CFLAGS := -Iharness/include -I$(GEN) $(PB_CFLAGS) -fPIC
.PHONY: plugins
plugins: $(PLUGINS)

# Keep generated and intermediate files (protobuf-c output, objects).
.SECONDARY:
.SECONDEXPANSION:
$(PLUGDIR)/%.so: $$(wildcard plugins/%/*.c) $$(wildcard harness/include/impcert/*.h) $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(PLUGIN_CFLAGS) -shared $(filter %.c,$^) \
	  $(LDFLAGS_ALL) -o $@

# ---- unit tests (CUnit) -----------------------------------------------------
# tests/unit/harness_*_test.c link the harness, refimp_*_test.c refimp,
# sq_*_test.c the interpreter. Each is its own program.
UNIT_SRC  := $(wildcard tests/unit/*_test.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(TESTBIN)/%)
UNIT_CFLAGS := -Itests/unit $(shell pkg-config --cflags cunit 2>/dev/null)
CUNIT_LIBS := $(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)

# Test plugins for the loader's unit tests (deliberately broken ones too).
TESTPLUG_SRC := $(wildcard tests/unit/plugins/*.c)
TESTPLUGS    := $(TESTPLUG_SRC:tests/unit/plugins/%.c=$(TESTBIN)/plugins/%.so)
$(TESTBIN)/plugins/%.so: tests/unit/plugins/%.c $(wildcard harness/include/impcert/*.h) $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(PLUGIN_CFLAGS) -shared $< $(LDFLAGS_ALL) -o $@

$(OBJ)/tests/%.o: tests/%.c $(GEN_H) | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(UNIT_CFLAGS) $(TEST_CFLAGS_$(firstword $(subst _, ,$(notdir $*)))) -c $< -o $@

TEST_CFLAGS_harness := $(IC_CFLAGS)
TEST_CFLAGS_refimp  := $(RF_CFLAGS)
TEST_CFLAGS_sq      := $(SQ_CFLAGS)

$(TESTBIN)/harness_%: $(OBJ)/tests/unit/harness_%.o $(LIB)/libimpcert.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -rdynamic $< -Wl,--whole-archive $(LIB)/libimpcert.a \
	  -Wl,--no-whole-archive $(IC_LIBS) $(CUNIT_LIBS) -o $@
$(TESTBIN)/refimp_%: $(OBJ)/tests/unit/refimp_%.o $(LIB)/librefimp.a $(LIB)/libsq.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) $< $(LIB)/librefimp.a $(RF_LIBS) $(CUNIT_LIBS) -o $@
$(TESTBIN)/sq_%: $(OBJ)/tests/unit/sq_%.o $(LIB)/libsq.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) $< $(LIB)/libsq.a $(CUNIT_LIBS) -lm -o $@

# The Squirrel language cases: tests/data/sq/*.case run through sqrun.
SQCASE_SRC := $(wildcard tests/sq/*.c)
$(TESTBIN)/sqcases: $(SQCASE_SRC:%.c=$(OBJ)/%.o)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) $^ -o $@

# ---- benchmarks: tests/bench/*.c are helper programs, one file each ------
BENCH_SRC  := $(wildcard tests/bench/*.c)
BENCH_BINS := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
BENCH_RUNS ?= 5
# The empty test of the per-test overhead figure: a plugin, not in the suite.
BENCH_BINS += $(BUILD)/bench/plugins/bench.so
$(BUILD)/bench/plugins/bench.so: tests/bench/plugin/bench.c $(wildcard harness/include/impcert/*.h) $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(PLUGIN_CFLAGS) -shared $< $(LDFLAGS_ALL) -o $@
$(BUILD)/bench/%: tests/bench/%.c | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $< $(LDFLAGS_ALL) -lssl -lcrypto -lpthread -o $@

# ---- fuzz targets (libFuzzer): tests/fuzz/<prefix>_<name>.c -----------------
# Built only with FUZZ=1 (clang); the prefix picks the library as for unit
# tests. `make fuzz` builds them and runs each (tests/fuzz.sh).
FUZZ_SRC  := $(wildcard tests/fuzz/*.c)
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60
FUZZ_LINK := -fsanitize=fuzzer,address,undefined
.PHONY: fuzz fuzz-bins
fuzz-bins: $(FUZZ_BINS)
fuzz:
	$(MAKE) FUZZ=1 fuzz-bins
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=0 sh tests/fuzz.sh

$(BUILD)/fuzz/harness_%: $(OBJ)/tests/fuzz/harness_%.o $(LIB)/libimpcert.a
	@mkdir -p $(@D)
	$(CC) $(FUZZ_LINK) $< $(LIB)/libimpcert.a $(IC_LIBS) -o $@
$(BUILD)/fuzz/refimp_%: $(OBJ)/tests/fuzz/refimp_%.o $(LIB)/librefimp.a $(LIB)/libsq.a
	@mkdir -p $(@D)
	$(CC) $(FUZZ_LINK) $< $(LIB)/librefimp.a $(RF_LIBS) -o $@
$(BUILD)/fuzz/sq_%: $(OBJ)/tests/fuzz/sq_%.o $(LIB)/libsq.a
	@mkdir -p $(@D)
	$(CC) $(FUZZ_LINK) $< $(LIB)/libsq.a -lm -o $@

# ---- running ---------------------------------------------------------------
CHECK_TARGETS := $(BIN)/impcert $(BIN)/refimp $(SQRUN) $(PLUGINS) $(BIN)/capgen \
                 $(UNIT_BINS) $(TESTPLUGS) \
                 $(if $(SQCASE_SRC),$(TESTBIN)/sqcases)

check: $(BUILD)/.deps $(CHECK_TARGETS)
	@BUILD=$(BUILD) sh tests/check.sh

# A certification of refimp into reports/certification/ (a folder of its
# own: everything in it is hashed into the certificate), signed with a key
# made once per build folder (build/certify-key.pem; certify also writes the
# public key beside the certificate). A real certifier uses its own key:
# docs/certification.md.
CERT_KEY := $(BUILD)/certify-key
CERT_OUT := reports/certification
certify: $(BUILD)/.deps all
	@rm -rf $(CERT_OUT) && mkdir -p reports
	@test -f $(CERT_KEY).pem || $(BIN)/impcert keygen $(CERT_KEY).pem $(CERT_KEY).pub
	$(BIN)/impcert certify --dut harness/duts/refimp-native.conf \
	  --plugins $(PLUGDIR) --plan specs/plans/core.plan -o $(CERT_OUT) \
	  --key $(CERT_KEY).pem -j 2
	$(BIN)/impcert verify $(CERT_OUT) --pubkey $(CERT_KEY).pub

# Benchmarks (docs/bench.md): not part of `check`; figures are ratios against
# baselines measured in the same run. BENCH_RUNS, BENCH_ONLY, BENCH_STRICT.
bench: $(BUILD)/.deps all $(BENCH_BINS)
	@BUILD=$(BUILD) BENCH_RUNS=$(BENCH_RUNS) BENCH_ONLY='$(BENCH_ONLY)' \
	  sh tests/bench/run.sh

# Mutation testing (docs/mutants.md): each patch must make a test fail.
# MUTANTS="a.patch b.patch" picks some; MUTANT_FILTER narrows the tests.
mutants: $(BUILD)/.deps all
	@BUILD=$(BUILD) SAN=$(SAN) sh tests/mutants/run.sh $(MUTANTS)

# The quick check of the machinery and of every patch still applying (also
# part of make check): seconds, not the hour of make mutants.
mutants-selftest: $(BUILD)/.deps all
	@BUILD=$(BUILD) sh tests/mutants-selftest.sh

clean:
	rm -rf build build-san $(CERT_OUT) reports/bench.json

# ---- install: binaries, plugins, the plugin SDK, docs, DUT profiles ------
# Honours PREFIX and DESTDIR. impcert looks for its plugins in
# BINDIR/../plugins, else BINDIR/../lib/impcert/plugins (this layout).
# impcert.pc gives out-of-tree plugins their cflags; no Libs: a plugin is
# linked -shared and resolves impcert_*, the protobuf-c descriptors and the
# protobuf-c runtime from the impcert process when it is loaded.
PREFIX   ?= /usr/local
IC_VERSION := $(shell sed -n 's/^\#define IMPCERT_VERSION "\(.*\)"/\1/p' \
                harness/src/main.c)
INST_BIN := $(DESTDIR)$(PREFIX)/bin
INST_PLUG := $(DESTDIR)$(PREFIX)/lib/impcert/plugins
INST_INC := $(DESTDIR)$(PREFIX)/include/impcert
INST_PC  := $(DESTDIR)$(PREFIX)/lib/pkgconfig
INST_DOC := $(DESTDIR)$(PREFIX)/share/doc/impcert
INST_SHARE := $(DESTDIR)$(PREFIX)/share/impcert
WIRESHARK_LUA := $(wildcard tools/wireshark/impcert.lua)
SPEC_FILES := $(shell find specs -maxdepth 1 -type f | sort)
.PHONY: install

install: $(BIN)/impcert $(BIN)/refimp $(SQRUN) plugins $(GEN_H)
	install -d $(INST_BIN) $(INST_PLUG) $(INST_INC) $(INST_PC) \
	  $(INST_DOC)/docs $(INST_DOC)/specs $(INST_SHARE)/duts
	install -m 755 $(BIN)/impcert $(BIN)/refimp $(SQRUN) $(INST_BIN)/
	install -m 644 $(PLUGINS) $(INST_PLUG)/
	install -m 644 harness/include/impcert/*.h $(GEN_H) $(INST_INC)/
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' \
	  'plugindir=$${prefix}/lib/impcert/plugins' '' 'Name: impcert' \
	  'Description: plugin SDK of the impcert conformance suite' \
	  'Version: $(IC_VERSION)' 'Requires.private: libprotobuf-c' \
	  'Cflags: -I$${includedir}' 'Libs:' > $(INST_PC)/impcert.pc
	install -m 644 README.md $(INST_DOC)/
	install -m 644 docs/*.md $(INST_DOC)/docs/
	install -m 644 $(SPEC_FILES) $(INST_DOC)/specs/
	install -m 644 harness/duts/*.conf $(INST_SHARE)/duts/
	$(if $(WIRESHARK_LUA),install -d $(INST_SHARE)/wireshark && \
	  install -m 644 $(WIRESHARK_LUA) $(INST_SHARE)/wireshark/)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ==== cross builds (docs/cross.md) ==========================================
# refimp and sqrun for ARM Linux, run under qemu-user, and the bare-metal
# core. Each ARM Linux build is this Makefile run again with BUILD, CC and the
# target's libraries overridden; it reuses the native build's generated
# protobuf-c code ($(GEN): protoc-c output is target independent). The
# target's OpenSSL and protobuf-c are Debian's armhf/arm64 packages unpacked
# into build-ARCH/sysroot by tools/deps.sh, linked statically so qemu needs
# only the cross libc (-L /usr/TRIPLE).
CROSS_ARCHES       := armhf arm64
CROSS_TRIPLE_armhf := arm-linux-gnueabihf
CROSS_TRIPLE_arm64 := aarch64-linux-gnu
CROSS_DEB_armhf    := gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user
CROSS_DEB_arm64    := gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
CROSS_LIB_DEBS     := libssl-dev libssl3 libprotobuf-c-dev libprotobuf-c1

.PHONY: $(CROSS_ARCHES:%=cross-%) cross-check

# cross_arch ARCH: the sysroot and the cross-ARCH target of one ARM Linux.
define cross_arch
build-$(1)/sysroot/.packages: tools/deps.sh
	@sh tools/deps.sh $$(CROSS_DEB_$(1))
	@sh tools/deps.sh --sysroot $(1) build-$(1)/sysroot $$(CROSS_LIB_DEBS)

cross-$(1): build-$(1)/sysroot/.packages $$(GEN_H)
	@$$(MAKE) --no-print-directory BUILD=build-$(1) SAN=0 \
	  CC=$$(CROSS_TRIPLE_$(1))-gcc GEN=$$(GEN) \
	  DEB_PACKAGES='$$(CROSS_DEB_$(1))' PB_CFLAGS= PB_LIBS= \
	  CFLAGS='-Ibuild-$(1)/sysroot/usr/include -Ibuild-$(1)/sysroot/usr/include/$$(CROSS_TRIPLE_$(1))' \
	  LDFLAGS='-Lbuild-$(1)/sysroot/usr/lib/$$(CROSS_TRIPLE_$(1))' \
	  RF_LIBS='build-$(1)/lib/libsq.a -Wl,-Bstatic -lssl -lcrypto -lprotobuf-c -Wl,-Bdynamic -lm' \
	  build-$(1)/bin/refimp build-$(1)/bin/sqrun
endef
$(foreach a,$(CROSS_ARCHES),$(eval $(call cross_arch,$(a))))

# `make check` runs the suite and the Squirrel cases against armhf
# (tests/cross-suite.sh); `make cross-check` against both ARM builds.
check: cross-armhf
cross-check: $(CROSS_ARCHES:%=cross-%) $(BIN)/impcert $(PLUGINS) \
             $(TESTBIN)/sqcases
	@set -e; for a in $(CROSS_ARCHES); do \
	  BUILD=$(BUILD) CROSS_ARCH=$$a sh tests/cross-suite.sh; done

clean: cross-clean
.PHONY: cross-clean
cross-clean:
	rm -rf $(CROSS_ARCHES:%=build-%) reports/size.json
# `make deps` also prepares what `make check` needs for armhf.
deps: build-armhf/sysroot/.packages

# pbmini (reference-fw/pb), the bare-metal core's own protobuf codec, is
# tested natively against libprotobuf-c.
$(TESTBIN)/refimp_pbmini_test: $(OBJ)/reference-fw/pb/pbmini.o
$(TESTBIN)/refimp_pbmini_test: RF_LIBS += $(OBJ)/reference-fw/pb/pbmini.o

# ---- the bare-metal core (docs/cross.md) ------------------------------------
# core/, sq/, api/, the generated wire code and pb/ (our protobuf codec, in
# place of the protobuf-c runtime) for a Cortex-M4F with newlib-nano: two
# libraries behind reference-fw/hal/hal.h, no board and no OS. -Wno-format:
# uint32_t is `unsigned long` there, so every "%u" of a uint32_t would warn;
# the native and ARM Linux builds check the formats with -Werror.
BARE       := build-bare
BARE_CC    := arm-none-eabi-gcc
BARE_DEB   := gcc-arm-none-eabi libnewlib-arm-none-eabi
BARE_ARCH  := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
BARE_CFLAGS := -std=c11 $(WARN) -Wno-format $(BARE_ARCH) -Os -g \
               -ffunction-sections -fdata-sections --specs=nano.specs \
               -MMD -MP -I$(BARE)/include -Ireference-fw -Ireference-fw/sq \
               -I$(GEN)/impcert
BARE_SQ_SRC := $(wildcard reference-fw/sq/*.c)
BARE_RF_SRC := $(wildcard reference-fw/core/*.c reference-fw/api/*.c \
                          reference-fw/pb/*.c)
BARE_SQ_OBJ := $(BARE_SQ_SRC:%.c=$(BARE)/obj/%.o)
BARE_RF_OBJ := $(BARE_RF_SRC:%.c=$(BARE)/obj/%.o) \
               $(PROTOS:specs/%.proto=$(BARE)/obj/gen/%.pb-c.o)
BARE_LIBS  := $(BARE)/lib/libsq.a $(BARE)/lib/librefimp.a
.PHONY: cross-bare

cross-bare: $(BARE_LIBS)

$(BARE)/.deps: tools/deps.sh
	@sh tools/deps.sh $(BARE_DEB)
	@mkdir -p $(@D) && touch $@

# Only protobuf-c's header (types and descriptor structs, from the host's
# libprotobuf-c-dev): no host header directory is put on the include path.
$(BARE)/include/protobuf-c: | $(BARE)/.deps
	@mkdir -p $(@D)
	ln -sfn /usr/include/protobuf-c $@

$(BARE)/obj/%.o: %.c $(GEN_H) | $(BARE)/.deps $(BARE)/include/protobuf-c
	@mkdir -p $(@D)
	$(BARE_CC) $(BARE_CFLAGS) -c $< -o $@

$(BARE)/obj/gen/%.pb-c.o: $(GEN)/impcert/%.pb-c.c $(GEN_H) | $(BARE)/.deps $(BARE)/include/protobuf-c
	@mkdir -p $(@D)
	$(BARE_CC) $(BARE_CFLAGS) -c $< -o $@

$(BARE)/lib/libsq.a: $(BARE_SQ_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && arm-none-eabi-ar rcs $@ $^
$(BARE)/lib/librefimp.a: $(BARE_RF_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && arm-none-eabi-ar rcs $@ $^

# tests/cross-bare.sh checks what the libraries need from outside.
check: cross-bare
deps: $(BARE)/.deps
cross-clean: bare-clean
.PHONY: bare-clean
bare-clean:
	rm -rf $(BARE)
-include $(shell find $(BARE)/obj -name '*.d' 2>/dev/null)

# ---- make size (tools/size.sh, reports/size.json) ---------------------------
# The native refimp linked with OpenSSL and protobuf-c static, only to
# measure "with OpenSSL" the way the ARM Linux builds are linked.
$(BUILD)/size/refimp-static: $(OBJ)/reference-fw/main.o $(LIB)/librefimp.a $(LIB)/libsq.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) $(OBJ)/reference-fw/main.o $(LIB)/librefimp.a \
	  $(LIB)/libsq.a -Wl,-Bstatic -lssl -lcrypto -lprotobuf-c -Wl,-Bdynamic \
	  -lm -o $@
.PHONY: size
size: all $(CROSS_ARCHES:%=cross-%) cross-bare $(BUILD)/size/refimp-static
	@BUILD=$(BUILD) sh tools/size.sh reports/size.json
# The bare core's size is a `make bench` figure (tests/bench/size.sh).
bench: cross-bare
