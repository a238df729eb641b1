#!/usr/bin/env bash
# The main job on the embedded sample. Until the dubbing pipeline lands, this analyses the
# sample speech and resynthesises it through the wav2lip-16k mel and Griffin-Lim.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

dubkit=build/tools/dubkit
out=out/demo
mkdir -p "$out"
"$dubkit" audio info samples/sample.wav
"$dubkit" audio mel samples/sample.wav -o "$out/sample_mel.png" --preset wav2lip-16k
"$dubkit" audio mel samples/sample.wav -o "$out/sample_mel.safetensors" --preset wav2lip-16k
"$dubkit" vocode samples/sample.wav -o "$out/sample_griffinlim.wav" --vocoder griffinlim
"$dubkit" audio info "$out/sample_griffinlim.wav"
echo
echo "demo outputs in $out/:"
ls -l "$out"
