# The two commands for users are `make demo` and `make test`; both run setup first.
SHELL := /bin/bash
ENV := source scripts/env.sh &&

.PHONY: setup build lint test test-unit test-providers test-e2e demo destroy swarm-demo swarm-destroy bench clean

setup:
	@bash scripts/setup.sh

# Compiled outputs of modules that moved or went are removed too (npm pack ships bin/components/).
build: setup
	@npx tsc -p . && node -e 'require("./scripts/freshBuild").refresh()'

lint: setup
	@npx eslint . && npx prettier --check . && gofmt -l images/sample images/acme scripts/gosdk examples/go | (! grep .) && \
		(cd images/acme && go vet ./...)

test: build lint
	@bash scripts/test.sh

demo: build
	@$(ENV) bash scripts/demo.sh

# Removes what `make demo` deployed (containers and network of the stack); keeps its config and state.
destroy:
	@$(ENV) bluegreen_check_backend && pulumi destroy --yes --non-interactive --stack "$${PULUMI_STACK:-dev}"

# The demo on a 2-node Docker Swarm made on this machine (scripts/swarm-harness.sh; needs root).
swarm-demo: build
	@$(ENV) bash scripts/swarm-demo.sh

# Removes the swarm demo's services, then the swarm itself (its daemons, namespaces and bridge).
swarm-destroy:
	@$(ENV) bluegreen_check_backend && bash scripts/swarm-harness.sh on 1 -- pulumi destroy --yes \
		--non-interactive --stack swarm; bash scripts/swarm-harness.sh down

# The SSH and swarm parts run on their harnesses (need root), each torn down afterwards even on failure.
bench: build
	@$(ENV) node bin/bench/swap.js && node bin/bench/speed.js && node bin/bench/rollback.js && node bin/bench/apps.js && node bin/bench/languages.js && \
		node bin/bench/backends.js && \
		(trap 'bash scripts/remote-harness.sh down' EXIT && bash scripts/remote-harness.sh up && \
		bash scripts/remote-harness.sh with -- node bin/bench/remote.js) && \
		trap 'bash scripts/swarm-harness.sh down' EXIT && bash scripts/swarm-harness.sh up 2 && \
		bash scripts/swarm-harness.sh on 1 -- node bin/bench/swarm.js

clean:
	rm -rf bin
