# dinhdanh — identity provider and single sign-on.
#
#   make run    run dinhdanh on its embedded default (SQLite under ./data, http://localhost:8080)
#   make test   run the whole test suite (installs PostgreSQL, Redis and what else the tests need when missing)
#   make load   drive a running server and print throughput and latency (see README)

GO      ?= go
BIN     ?= bin/dinhdanh

.PHONY: run build test check load clean

run:
	$(GO) run ./cmd/dinhdanh serve

build:
	$(GO) build -o $(BIN) ./cmd/dinhdanh

# check: formatting and vet, the same gates CI applies.
check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# test: the gates of check, then every test. The servers the tests start
# (PostgreSQL, Redis, OpenLDAP, the mailpit SMTP server) and the browser of the browser tests
# (Chromium) are installed first when missing.
test: check
	bash test/services/install.sh
	bash test/services/install-ldap.sh
	bash test/services/install-browser.sh
	bash test/services/install-mailpit.sh
	$(GO) test -count=1 -timeout 20m ./...

load: build
	$(GO) run ./test/load $(LOAD_ARGS)

clean:
	rm -rf bin
