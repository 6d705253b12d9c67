# `make demo` and `make test` are what a newcomer needs: both install what is
# missing (Debian packages), build, and run. `make release` and the bench-*
# targets measure; kube-up and kube-down run the Kubernetes test cluster.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libgit2-dev libcurl4-openssl-dev prometheus pkg-config git python3 openssh-server openssh-client curl
# Only the tests need a browser: the dashboard's browser test drives chromium
# with Selenium from PyPI, in a virtual environment of its own (Debian's
# Python refuses system-wide pip installs).
TEST_APT_PACKAGES := chromium chromium-driver python3-venv
PY_VENV := /var/cache/serin-py
SELENIUM := selenium==4.51.0
BIN := .build/debug
RELEASE_BIN := .build/release

.PHONY: all deps py-deps kustomize dashboard-screenshots build test test-stress demo bench-validate bench-git bench-engine bench-router bench-operator bench-safety bench-kube bench-kube-requests release clean kube-up kube-down

all: build

# Installs only what is missing: `apt-get update` once, then one install.
deps:
	@missing=""; for p in $(APT_PACKAGES) $(EXTRA_APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# Selenium for the dashboard's browser test, installed once.
py-deps:
	@$(MAKE) --no-print-directory deps EXTRA_APT_PACKAGES="$(TEST_APT_PACKAGES)"
	@if ! $(PY_VENV)/bin/python3 -c 'import selenium' 2>/dev/null; then \
	  echo "installing $(SELENIUM) into $(PY_VENV)"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO /usr/bin/python3 -m venv $(PY_VENV) && $$SUDO $(PY_VENV)/bin/pip install -q $(SELENIUM); \
	fi

# The pinned kustomize (Debian's 5.6.0, from trixie) and bubblewrap, when missing: Serin runs
# kustomize to build sources that hold a kustomization.yaml (scripts/kustomize/install.sh).
kustomize:
	@bash scripts/kustomize/install.sh >/dev/null

build: deps kustomize
	$(SWIFT) build

# The benchmarked build: the Swift runtime and Foundation linked in (one
# self-contained binary, less memory per process, direct calls into the
# runtime), and dynamic exclusivity checks off in every module, SwiftNIO's
# included (about 8% more requests/s through the router, measured A/B).
# Debug builds, which every test runs, keep the checks.
RELEASE_FLAGS := --static-swift-stdlib -Xswiftc -enforce-exclusivity=unchecked
release: deps kustomize
	$(SWIFT) build -c release $(RELEASE_FLAGS)

# The Kubernetes tests run against the real test cluster (scripts/kube):
# built once into /var/cache/serin-kube (about 10 minutes on 2 cores), then
# started in about half a minute; it keeps running after the tests
# (`make kube-down` stops it). A second control plane (no real node; a few
# seconds to start) beside it runs the multi-cluster tests (waves). Among the
# tests, the quickstarts' commands run as scripts with their outputs compared
# (ReadmeWalkthroughTests for docs/quickstart-local.md and the README's tour,
# KubernetesQuickstartTests for docs/quickstart-kubernetes.md).
test: deps py-deps kustomize
	bash scripts/kube/cluster.sh build
	$(SWIFT) build --build-tests 2>&1 | tee .build-test.log; test $${PIPESTATUS[0]} -eq 0
	@if grep -E "^/.*/(Sources|Tests)/.*warning:" .build-test.log | grep -v "/.build/"; then echo "warnings in Serin's own code are not allowed"; exit 1; fi
	kube_env=$$(bash scripts/kube/cluster.sh up) && kube2_env=$$(bash scripts/kube/cluster.sh second up) && eval "$$kube_env" && eval "$$kube2_env" && $(SWIFT) test --skip-build

# The Kubernetes and end-to-end suites (SerinKubernetesTests, SerinCLITests)
# with both cores kept busy by stress-ng (Debian's; one worker per core,
# stopped by its pid when the tests end): `make test` must hold on a 2-core
# machine that something else loads. Not part of `make test`; it takes about
# twice as long as those suites alone. STRESS_FILTER="LeaderElectionTests"
# for one suite.
STRESS_FILTER ?= SerinKubernetesTests|SerinCLITests
test-stress: deps py-deps kustomize
	@$(MAKE) --no-print-directory deps EXTRA_APT_PACKAGES="stress-ng"
	bash scripts/kube/cluster.sh build
	$(SWIFT) build --build-tests
	SWIFT=$(SWIFT) bash scripts/test-stress.sh "$(STRESS_FILTER)"

# The demo prints the plan it runs itself: it checks every 5 s, not the quickstart's 10 s.
demo: build
	@echo "== serin demo: a good release is promoted, a bad one rolled back (about a minute)"
	$(BIN)/serin demo --example examples/quickstart

bench-validate: release
	$(RELEASE_BIN)/serin-bench validate --resources 5000 --files 500

# The engine as serin run runs it with 100,000 Canaries (about 10 minutes on
# 2 cores), then the machine-only loop with the compact history and with
# whole evaluations (as before issue 28), for comparison.
bench-engine: release
	$(RELEASE_BIN)/serin-bench engine --rollouts 100000
	$(RELEASE_BIN)/serin-bench engine --machine-only --rollouts 10000 --seconds 10
	$(RELEASE_BIN)/serin-bench engine --machine-only --whole-history --rollouts 10000 --seconds 10
	$(RELEASE_BIN)/serin-bench engine-prometheus --canaries 200 --seconds 20

bench-router: release
	bash scripts/bench-router.sh --serin $(CURDIR)/$(RELEASE_BIN)/serin

bench-operator: release
	$(RELEASE_BIN)/serin-bench operator

# The release-safety matrix (about 20 minutes on 2 cores with --seeds 3): seeded good and bad
# releases through serin run, its router and a real Prometheus. Exits 1 on a
# wrong verdict. SAFETY_ARGS="--seeds 1 --scenarios 1,2,11" for a short run.
SAFETY_ARGS ?= --seeds 3
bench-safety: release
	$(RELEASE_BIN)/serin-bench safety $(SAFETY_ARGS)

# `serin run` with 10, 100 and 1,000 Canaries on the test cluster, their pods
# on a fake node (serin-bench kube): requests per canary per interval in
# steady state, operator CPU and RSS, commit -> first weight change (about
# 25 minutes on 2 cores, most of it the 1,000). KUBE_CANARIES="10 100" for a
# short run; KUBE_BENCH_ARGS="--window 300 --baseline 300" for longer windows.
KUBE_CANARIES ?= 10 100 1000
KUBE_BENCH_ARGS ?=
bench-kube: release
	kube_env=$$(bash scripts/kube/cluster.sh up) && eval "$$kube_env" && \
	for n in $(KUBE_CANARIES); do $(RELEASE_BIN)/serin-bench kube --canaries $$n $(KUBE_BENCH_ARGS) || exit 1; done

# The earlier shell version: 10 Canaries with real pods, a window without
# Serin then one with it (about 11 minutes).
bench-kube-requests: build
	bash scripts/kube/bench-requests.sh $(BIN)/serin

bench-git: release
	$(RELEASE_BIN)/serin-bench git-webhook --pushes 100
	$(RELEASE_BIN)/serin-bench git-poll --polls 10000
	$(RELEASE_BIN)/serin-bench git-poll --polls 10000 --transport file
	$(RELEASE_BIN)/serin-bench git-large --commits 10000 --files 5000

# The dashboard's screenshots (docs/dashboard.md), taken by the browser test during a release.
dashboard-screenshots: py-deps
	$(SWIFT) build --build-tests
	SERIN_DASHBOARD_SCREENSHOTS=$(CURDIR)/docs $(SWIFT) test --skip-build --filter "DashboardBrowserTests|theDashboardFollowsARealRelease"

# The Kubernetes 1.20.2 test cluster (scripts/kube/README.md): built once into /var/cache/serin-kube
# (about 10 minutes), then up in about half a minute. `make kube-up` prints the environment
# (KUBECONFIG, SERIN_KUBE_*) the tests need; in a shell: eval "$(scripts/kube/cluster.sh up)"
kube-up:
	@bash scripts/kube/cluster.sh up
	@bash scripts/kube/cluster.sh second up

kube-down:
	@bash scripts/kube/cluster.sh second down
	@bash scripts/kube/cluster.sh down

clean:
	rm -rf .build .build-test.log .build-test-stress.log
