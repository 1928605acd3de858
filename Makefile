# The README's two commands: `make run` and `make test`.
GO      ?= go
BIN     := bin/tokenhook
export CGO_ENABLED := 0

.PHONY: build run test bench vet clean

build:
	$(GO) build -o $(BIN) ./cmd/tokenhook

# Run the server on the embedded database with demo data and a printed curl.
run: build
	./$(BIN) serve --dev

# The whole suite: unit, conformance (SQLite and PostgreSQL), end to end.
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

# Load the real server on loopback and compare CPU per token with one bare
# RS256 signature.
bench: build
	$(GO) run ./cmd/tokenhook-bench -bin ./$(BIN)

clean:
	rm -rf bin
