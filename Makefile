# The two commands for users are `make demo` and `make test`; both run setup first.
SHELL := /bin/bash
ENV := source scripts/env.sh &&

.PHONY: setup build lint test test-unit test-providers test-e2e demo destroy bench clean

setup:
	@bash scripts/setup.sh

build: setup
	@npx tsc -p .

lint: setup
	@npx eslint . && npx prettier --check . && gofmt -l images/sample | (! grep .)

test: build lint
	@bash scripts/test.sh

demo: build
	@$(ENV) bash scripts/demo.sh

# Removes what `make demo` deployed (containers and network of the stack); keeps its config and state.
destroy:
	@$(ENV) bluegreen_check_backend && pulumi destroy --yes --non-interactive --stack "$${PULUMI_STACK:-dev}"

bench: build
	@$(ENV) node bin/bench/swap.js && node bin/bench/speed.js

clean:
	rm -rf bin
