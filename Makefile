# The two commands of the README: `make demo` and `make test`. Everything else is their plumbing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format browser vendor

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m pip install -q --no-deps 'pycanon==1.3.6'  # see the note in pyproject.toml [test]
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/edudata demo

# Browser tests drive Debian's chromium; install it when missing and we may (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium fonts-noto-cjk" >&2; exit 1; fi; }
	@# Campus identity tests start Debian's slapd (LDAP) on a free port.
	@{ command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ]; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils >/dev/null; \
	  else echo "slapd is missing: sudo apt-get install slapd ldap-utils" >&2; exit 1; fi; }
	@# PDF reports (WeasyPrint needs Pango) and their test (pdftotext from poppler-utils).
	@{ command -v pdftotext >/dev/null 2>&1 && dpkg -s libpangoft2-1.0-0 libharfbuzz-subset0 >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils >/dev/null; \
	  else echo "missing: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils" >&2; exit 1; fi; }

# Front-end parts from the npm registry (versions pinned in package.json + package-lock.json), served by the app from
# /static/vendor — never a CDN: campuses run the platform on internal networks. The copies are committed with their
# licences so that installing and CI need no registry; `make vendor` reproduces them (tests/test_vendor.py checks
# that the committed files are the locked versions). axe-core is for the accessibility tests only.
VENDOR := src/edudata/web/static/vendor
vendor:
	npm ci --ignore-scripts --no-audit --no-fund
	mkdir -p $(VENDOR) tests/support/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/htmx.org/LICENSE $(VENDOR)/htmx.LICENSE.txt
	cp node_modules/echarts/dist/echarts.common.min.js $(VENDOR)/echarts.common.min.js
	cp node_modules/echarts/LICENSE $(VENDOR)/echarts.LICENSE.txt
	cp node_modules/echarts/NOTICE $(VENDOR)/echarts.NOTICE.txt
	cp node_modules/axe-core/axe.min.js tests/support/vendor/axe.min.js
	cp node_modules/axe-core/LICENSE tests/support/vendor/axe.LICENSE.txt
	node -e 'const l=require("./package-lock.json").packages;console.log(JSON.stringify({htmx:l["node_modules/htmx.org"].version,echarts:l["node_modules/echarts"].version,"axe-core":l["node_modules/axe-core"].version}))' > $(VENDOR)/versions.json

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache  # layering contracts in .importlinter (docs/architecture.md)

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

test: $(STAMP) browser lint
	$(BIN)/pytest -n auto  # one worker per core; each worker gets its own SQLite file and PostgreSQL database
