# The README's two commands: `make run` and `make test`.
GO      ?= go
BIN     := bin/tokenhook
# The default build signs through the system's libcrypto.so.3 when present
# (loaded at run time, no cgo), which makes it a dynamically linked binary
# that needs glibc at exec. The static build (-tags nolibcrypto) leaves
# OpenSSL out, for scratch and musl images, and always signs with the
# slower crypto/rsa. See docs/configuration.md, "Signing".
BIN_STATIC := bin/tokenhook-static
export CGO_ENABLED := 0

.PHONY: build build-static run test test-unit test-deps node portability bench vet clean dashboard

# The dashboard (web/) is built into internal/dashboard/dist, which the
# binary embeds. File targets rebuild it only when its sources change.
DASHBOARD := internal/dashboard/dist/index.html
WEB_SRC   := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json web/package.json

# Every Node project of the repository (web/ and the tests' testdata) is
# installed from its lockfile by `npm ci`; the marker npm writes into
# node_modules makes each install a file target, redone only when the
# lockfile changes. A test that adds a package-lock.json is picked up here.
NPM_LOCKS   := $(shell find web internal -name node_modules -prune -o -name package-lock.json -print 2>/dev/null)
NPM_MARKERS := $(patsubst %/package-lock.json,%/node_modules/.package-lock.json,$(NPM_LOCKS))

%/node_modules/.package-lock.json: %/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm not found: install Node.js 20 or newer with npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --prefix $* --no-audit --no-fund
	@mkdir -p $(@D) && touch $@

$(DASHBOARD): web/node_modules/.package-lock.json $(WEB_SRC)
	npm run build --prefix web

dashboard: $(DASHBOARD)

# The dashboard's browser tests drive Debian's chromium (never a
# downloaded browser). TOKENHOOK_CHROMIUM names another one. Root installs
# the package; anyone else is told which package to install.
CHROMIUM := $(or $(TOKENHOOK_CHROMIUM),$(shell command -v chromium chromium-browser google-chrome 2>/dev/null | head -n1),/usr/bin/chromium)

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else \
		echo "make: Chromium not found: install Debian's chromium package (sudo apt-get install chromium) or set TOKENHOOK_CHROMIUM" >&2; exit 1; \
	fi

build: $(DASHBOARD)
	$(GO) build -o $(BIN) ./cmd/tokenhook

build-static: $(DASHBOARD)
	$(GO) build -tags nolibcrypto -o $(BIN_STATIC) ./cmd/tokenhook

# Run the server on the embedded database with demo data and a printed curl.
run: build
	./$(BIN) serve --dev

# The Node hook runtime's tests and the npm installs run the machine's
# node and npm; say so at once rather than in a failed test.
node:
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "make: node or npm not found: install Node.js 20 or newer with npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }

# What the suite needs, each a file target: a second run does nothing.
test-deps: node $(NPM_MARKERS) $(DASHBOARD) $(CHROMIUM)

# Linux-only code sits behind build tags; these keep the other systems
# and the static build compiling (vet type-checks the Windows build
# without linking it).
portability:
	GOOS=darwin $(GO) build ./...
	$(GO) build -tags nolibcrypto ./...
	GOOS=windows $(GO) vet ./...

# The whole suite: unit, conformance (SQLite and PostgreSQL), end to end
# against the real binary, and the dashboard in headless Chromium.
test: test-deps portability
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

# The edit-test loop: everything but the real-binary end-to-end tests
# (internal/e2e), with -short: tests that need PostgreSQL, the npm
# registry or gigabytes of memory skip there and run in `make test`.
# With a warm build cache most of the loop's build time is linking one
# test binary per package; -s -w leaves out the symbol table and DWARF,
# which only a debugger reads (stack traces and t.Log positions come
# from the runtime's own tables), so each link writes less.
UNIT_PKGS = $(shell $(GO) list ./... | grep -v '/internal/e2e$$')

test-unit: node $(NPM_MARKERS)
	$(GO) test -short -count=1 -ldflags='-s -w' -timeout 10m $(UNIT_PKGS)

# Load the real server on loopback and compare CPU per token with one bare
# RS256 signature, for both signers of the default build (--signer go and
# openssl) in one run, hooks on Node.js, and node-oidc-provider side by side
# when Node is on PATH. BENCH_ARGS passes options, e.g.
# BENCH_ARGS='-run hook -duration 3s'.
bench: build
	$(GO) run ./cmd/tokenhook-bench -bin ./$(BIN) $(BENCH_ARGS)

clean:
	rm -rf bin
