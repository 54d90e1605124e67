# hotich: the two README commands. Both install everything they need and are safe to rerun.
#   make demo  - install, then process the bundled sample volumes end to end into out/
#   make test  - install, then run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd poppler-utils hunspell-vi fonts-dejavu-core fonts-dejavu-extra \
	fonts-liberation2 fonts-freefont-ttf chromium \
	fonts-noto-core fonts-sil-gentiumplus fonts-sil-charis fonts-croscore fonts-open-sans fonts-roboto-unhinted
STAMP := $(VENV)/.installed

.PHONY: install sysdeps demo test bench clean

install: sysdeps $(STAMP)

# System packages: installed only when one is missing (dpkg -s), so a warm rerun costs nothing.
sysdeps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(PYTHON) -m venv --help >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

$(STAMP): pyproject.toml constraints.txt hashes.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --no-deps --require-hashes -r hashes.txt
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	@touch $@

demo: install
	@# exit 4 = some pages failed: they are listed by `hotich status`; the demo goes on.
	$(BIN)/hotich run samples/demo/*.pdf --out out || [ $$? -eq 4 ]
	$(BIN)/hotich dedup out
	$(BIN)/hotich report out --out out/report.html
	$(BIN)/hotich status out

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf out .pytest_cache
