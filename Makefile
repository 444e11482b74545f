# make demo   the walkthrough in a real shell against the local test STS
# make test   everything: installs zsh, fish, awscli, shellcheck, shfmt, expect when missing
# make bench  the prompt-overhead benchmark against direnv
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
TOOLS   := zsh fish fish_indent /usr/bin/aws shellcheck shfmt expect strace
FUZZTIME ?= 10s
# Static binaries: a dynamically linked one pays the loader, about 0.6 ms of
# every run of 'awsrole export' on a cd. Nothing here needs cgo.
export CGO_ENABLED = 0

.PHONY: all build deps test vet lint fuzz demo bench clean

all: build

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/awsrole ./cmd/awsrole
	$(GO) build -o bin/awsrole-sts ./cmd/awsrole-sts
	$(GO) build -o bin/teststs ./cmd/teststs

deps:
	scripts/deps.sh $(TOOLS)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }

lint: deps
	shellcheck scripts/*.sh .ci/run
	shfmt -d scripts/*.sh .ci/run

test: deps build vet lint
	$(GO) test -count=1 ./...
	$(MAKE) fuzz

# Each fuzz target for a bounded time; the oracle is the real shell.
FUZZ := shells:FuzzExportBash shells:FuzzExportZsh shells:FuzzExportFish \
	shells:FuzzHookPathsBash shells:FuzzHookPathsZsh shells:FuzzHookPathsFish hook/config:FuzzParse
fuzz:
	@set -e; for t in $(FUZZ); do \
		echo "fuzz $${t} for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) ./$${t%%:*}/; \
	done

demo: build
	scripts/deps.sh /usr/bin/aws
	scripts/demo.sh

bench: build
	scripts/deps.sh zsh fish expect direnv
	scripts/bench.sh

clean:
	rm -rf bin
