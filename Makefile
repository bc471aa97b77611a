# kr — two commands do everything: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PY_DEPS := pytest numpy ruff mypy python-osc JACK-Client maturin hypothesis 'mcp>=2.3,<3' ipython
# The user guide (docs/, mkdocs.yml): `make docs` builds it into site/.
DOCS_DEPS := 'mkdocs>=1.6,<2' 'mkdocs-material>=9.5,<10' 'mkdocstrings[python]>=0.26'

.PHONY: demo test deps venv build build-release lint test-rust test-python test-link clean soak samples docs deb wheel

deps:
	@scripts/install-deps.sh

$(VENV)/.stamp: py/pyproject.toml Makefile
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PIP) install -q --upgrade pip
	@$(PIP) install -q $(PY_DEPS) $(DOCS_DEPS)
	@touch $@

venv: deps $(VENV)/.stamp

# Debug builds for tests: the audio thread's allocation guard is on in debug builds.
build: venv
	cargo build --workspace
	cd py && VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH maturin develop -q

build-release: venv
	cargo build --release -p kr-host
	cd py && VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH maturin develop -q --release

# The bundled sample banks (bd, sn, hh, cp, ...) in $XDG_DATA_HOME/kr/samples, krd's default folder.
samples: deps
	@scripts/make_samples.sh

demo: build-release samples
	@KR_KRD=$(CURDIR)/target/release/krd scripts/demo.sh

lint: venv
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cd py && ../$(VENV)/bin/ruff check kr tests ../tests ../examples ../scripts
	cd py && ../$(VENV)/bin/ruff format --check kr tests ../tests ../scripts
	cd py && ../$(VENV)/bin/mypy

test-rust: build
	scripts/with-jack.sh cargo test --workspace

test-python: build
	KR_KRD=$(CURDIR)/target/debug/krd scripts/with-jack.sh $(PY) -m pytest -q -m "not link_build" py/tests tests

test: lint test-rust test-python test-link

# Ableton Link (GPL-2.0-or-later, so never in the default build): krd built with the cargo feature
# `link` as target/debug/krd-link (target/debug/krd stays the default build), linted, and tested
# against a Link peer (LinkPython-extern) in a network namespace the test makes (needs root for
# `ip netns`), under jackd2 and under PipeWire: the tests marked link_build, which the main pass leaves out.
# About 3 minutes on a fresh clone on 2 cores (Link's C++ and bindgen: 76 s; 36 s when built
# already), so `make test` runs it.
test-link: build $(VENV)/.link-stamp
	cargo build -p kr-host --features link --bin krd
	cp target/debug/krd target/debug/krd-link
	cargo build -p kr-host --bin krd
	cargo clippy -p kr-host --features link --all-targets -- -D warnings
	cargo test -p kr-host --features link --lib link::
	KR_KRD=$(CURDIR)/target/debug/krd-link scripts/with-jack.sh $(PY) -m pytest -q -s -m link_build tests/test_link.py
	# Again under PipeWire, whose JACK clock is not Link's (CLOCK_MONOTONIC, not _RAW).
	KR_KRD=$(CURDIR)/target/debug/krd-link scripts/with-pipewire.sh $(PY) -m pytest -q -s -m link_build tests/test_link.py

$(VENV)/.link-stamp: $(VENV)/.stamp
	@$(PIP) install -q 'LinkPython-extern==1.3.0'
	@touch $@

# The guide: every warning is an error (a broken link, a missing page, a primitive without an
# example). tests/test_docs.py (in test-python) runs every code block of it against a real krd.
docs: build
	$(VENV)/bin/mkdocs build --strict

# The Debian package krd (target/debian/krd_<version>_<arch>.deb): krd built for release, its
# systemd user unit, /etc/kr/krd.yaml and the docs (metadata: host/Cargo.toml). cargo-deb comes
# from `make deps`.
deb: deps
	cargo deb -p kr-host --strip

# The Python package as a wheel (target/wheels/), for installing beside the krd package.
wheel: venv
	cd py && VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH maturin build -q --release -o ../target/wheels

clean:
	cargo clean
	rm -rf $(VENV) demo.wav site

# The soak test ("Sessions of any size, and nothing lost"): ten minutes of several clients
# editing at once, against target/release/krd when it is built (else target/debug/krd; KR_KRD
# chooses). An hour: scripts/with-jack.sh .venv/bin/python tests/soak.py --seconds 3600
soak:
	scripts/with-jack.sh $(PY) tests/soak.py --seconds 600
