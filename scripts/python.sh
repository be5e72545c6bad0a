#!/usr/bin/env bash
# Pulumi's Python SDK for the Python example (examples/python, docs/languages.md): a virtual
# environment in the per-machine cache, made once from PyPI's wheels. PyPI's newest `pulumi` here is
# 3.272.0 (the CLI is 3.276.0: the SDK only needs to be 3.x). A program copies it as its `venv`.
STEP=python
source "$(dirname "$0")/lib.sh"

PULUMI_PY_VERSION=3.272.0
venv="$BLUEGREEN_CACHE/python/venv-pulumi-$PULUMI_PY_VERSION"
command -v python3 >/dev/null 2>&1 || ensure_debs python3
python3 -c 'import ensurepip, venv' 2>/dev/null || ensure_debs python3-venv
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import pulumi" 2>/dev/null; then
    log "Python SDK pulumi $PULUMI_PY_VERSION in $venv"
    exit 0
fi
log "making $venv (pulumi $PULUMI_PY_VERSION from PyPI; about 30 s)"
# Made where it stays (a venv records its path); one left half-made by a killed run fails the check above.
rm -rf "$venv"
python3 -m venv "$venv"
run_logged "$BLUEGREEN_CACHE/logs/python-venv.log" "$venv/bin/python" -m pip install --no-input \
    --disable-pip-version-check "pulumi==$PULUMI_PY_VERSION"
"$venv/bin/python" -c "import pulumi" || die "the Python SDK in $venv does not import"
log "Python SDK pulumi $PULUMI_PY_VERSION in $venv"
