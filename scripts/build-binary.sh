#!/usr/bin/env bash
# `npm run build:binary`: one self-contained executable, dist/edgeserve, that serves the models in
# models/ (those whose weights are pulled) with no node_modules and no models/ beside it.
#
#   scripts/build-binary.sh                      native build for this machine → dist/edgeserve
#   TARGET=bun-linux-arm64 scripts/build-binary.sh   cross build → dist/edgeserve-linux-arm64
#   OUTFILE=path MODEL_REPOSITORY=dir scripts/build-binary.sh
#
# What goes in (see src/runtime/compile/): the CLI entry and the worker entry (every worker file
# must be an entrypoint), onnxruntime-node's addon (Bun embeds required .node files) plus its
# libonnxruntime.so.1 as a plain file (preloaded at start), @napi-rs/canvas's addon,
# onnxruntime-web's threaded glue and .wasm and the @jsquash codecs (the WASM fallback), and one
# tar of text assets (model configs and weights, Swagger UI). --asset-naming keeps each embedded
# file at its path from the repository root, where the runtime looks for it.
set -euo pipefail
cd "$(dirname "$0")/.."
bun=node_modules/.bin/bun
target=${TARGET:-}
models=${MODEL_REPOSITORY:-models}

case "$target" in
  "") arch=$(uname -m); suffix="" ;;
  bun-linux-x64*) arch=x86_64; suffix="-linux-x64" ;;
  bun-linux-arm64*) arch=aarch64; suffix="-linux-arm64" ;;
  *) echo "unsupported TARGET '$target' (bun-linux-x64 or bun-linux-arm64)" >&2; exit 2 ;;
esac
case "$arch" in
  x86_64|amd64) ortarch=x64 ;;
  aarch64|arm64) ortarch=arm64 ;;
  *) echo "no onnxruntime-node build for $arch" >&2; exit 2 ;;
esac
outfile=${OUTFILE:-dist/edgeserve$suffix}

stage=dist/.build
rm -rf "$stage"
mkdir -p "$stage/models" "$stage/docs"
n=0
for cfg in "$models"/*/config.json; do
  dir=$(dirname "$cfg"); name=$(basename "$dir")
  weights=("$dir"/[0-9]*/model.onnx)
  # A platform without a model file (the face job runs other models) ships its config alone.
  needs_file=$(node_modules/.bin/bun -e "import { platformOf } from './src/engine/platforms.ts'; console.log(platformOf(JSON.parse(await Bun.file(process.argv[1]).text())).modelFile ? 1 : 0)" "$cfg")
  if [ "$needs_file" = 1 ] && [ ! -e "${weights[0]}" ]; then echo "skipping $name: no weights (run npm run pull)" >&2; continue; fi
  mkdir -p "$stage/models/$name"
  cp "$cfg" "$stage/models/$name/config.json"
  [ "$needs_file" = 1 ] || { n=$((n + 1)); continue; }
  for w in "${weights[@]}"; do
    v=$(basename "$(dirname "$w")")
    mkdir -p "$stage/models/$name/$v"
    cp "$w" "$stage/models/$name/$v/model.onnx"
  done
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "no model with weights in $models: run npm run pull first" >&2; exit 1; }
cp node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/swagger-ui-bundle.js "$stage/docs/"
# Beside its glue, ORT's .wasm would get the same output name as the glue's compiled .js.
cp node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm "$stage/"
tar -cf "$stage/assets.tar" -C "$stage" models docs

so=node_modules/onnxruntime-node/bin/napi-v6/linux/$ortarch/libonnxruntime.so.1
[ -f "$so" ] || { echo "missing $so" >&2; exit 1; }

mkdir -p "$(dirname "$outfile")"
"$bun" build --compile ${target:+--target="$target"} --minify --sourcemap=none \
  --asset-naming='[dir]/[name].[ext]' \
  src/runtime/compile/main.ts \
  src/workers/worker-entry.ts \
  node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.mjs \
  "$stage/ort-wasm-simd-threaded.wasm" \
  node_modules/@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm \
  node_modules/@jsquash/png/codec/pkg/squoosh_png_bg.wasm \
  node_modules/@jsquash/webp/codec/dec/webp_dec.wasm \
  "$so" \
  "$stage/assets.tar" \
  --outfile "$outfile"
ls -la "$outfile" | awk '{printf "%s: %.1f MB\n", $NF, $5 / 1e6}'
