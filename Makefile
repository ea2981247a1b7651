# SPDX-License-Identifier: BSD-3-Clause
# Thin wrapper over meson. Every target first makes sure the Debian packages it needs are present.
#   make demo      install, build, bring up a router between two namespaces, send traffic
#   make test      install, build (release + ASan/UBSan), run unit, packet and end-to-end tests
#   make bench     install, build, print the benchmark figures (name=value)
#   make deb       install, build the Debian packages into build-deb/ and check them with lintian

BUILD      ?= build
ASAN_BUILD ?= build-asan
KEEP       ?= 0
DEB_BUILD  ?= build-deb

.PHONY: all deps build build-asan test test-unit test-pcap test-e2e demo bench deb format clean

all: build

deps:
	@tools/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release

# The sanitizer build, used only by tests, carries the test-only hooks (meson_options.txt).
$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
		-Dtest_hooks=true

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

# Unit tests and packet tests run on the sanitizer build; end-to-end tests on the release build.
# Every tool the tests use is installed by now: a test that skips is a failure here.
test: build build-asan
	SVR_NO_SKIP=1 tests/run-all $(BUILD) $(ASAN_BUILD)

test-unit: build-asan
	tests/run-all --only unit $(BUILD) $(ASAN_BUILD)

test-pcap: build build-asan
	tests/run-all --only pcap $(BUILD) $(ASAN_BUILD)

test-e2e: build
	tests/run-all --only e2e $(BUILD) $(ASAN_BUILD)

demo: build
	KEEP=$(KEEP) tools/demo $(BUILD)

bench: build
	tools/bench/run $(BUILD)

# dpkg-buildpackage on a copy of the source (tools/deb): the packages and lintian's verdict.
# Only what that needs is installed (debian/control's Build-Depends, dpkg-dev, debhelper,
# lintian, git, jq), not the test stack of deps.
deb:
	@tools/install-deps --deb
	tools/deb $(DEB_BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(DEB_BUILD)
