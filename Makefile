# The README's two commands: `make run` and `make test`.
GO      ?= go
BIN     := bin/tokenhook
# The same server with the OpenSSL signer compiled in (-tags openssl): a
# dynamically linked binary that needs glibc at exec, so it is not the
# default build. See docs/configuration.md, "Signing".
BIN_OPENSSL := bin/tokenhook-openssl
export CGO_ENABLED := 0

.PHONY: build build-openssl run test bench vet clean dashboard

# The dashboard (web/) is built into internal/dashboard/dist, which the
# binary embeds. File targets rebuild it only when its sources change.
DASHBOARD := internal/dashboard/dist/index.html
WEB_SRC   := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json web/package.json

web/node_modules/.package-lock.json: web/package-lock.json
	npm ci --prefix web --no-audit --no-fund

$(DASHBOARD): web/node_modules/.package-lock.json $(WEB_SRC)
	npm run build --prefix web

dashboard: $(DASHBOARD)

build: $(DASHBOARD)
	$(GO) build -o $(BIN) ./cmd/tokenhook

build-openssl: $(DASHBOARD)
	$(GO) build -tags openssl -o $(BIN_OPENSSL) ./cmd/tokenhook

# Run the server on the embedded database with demo data and a printed curl.
run: build
	./$(BIN) serve --dev

# The whole suite: unit, conformance (SQLite and PostgreSQL), end to end,
# and the dashboard in headless Chromium (so the dashboard is built first).
test: $(DASHBOARD)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

# Load the real server on loopback and compare CPU per token with one bare
# RS256 signature, for the static build (crypto/rsa) and the -tags openssl
# build (--signer openssl) in one run.
bench: build build-openssl
	$(GO) run -tags openssl ./cmd/tokenhook-bench -bin ./$(BIN) -openssl-bin ./$(BIN_OPENSSL)

clean:
	rm -rf bin
