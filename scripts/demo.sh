#!/usr/bin/env bash
# The main job on the embedded sample. Until the dubbing pipeline lands, this analyses the
# sample speech, resynthesises it through the wav2lip-16k mel with Griffin-Lim and with the
# default neural vocoder, enrolls its (synthetic) voice under the samples' signed consent record
# and speaks new lines in it in English, Spanish and German: each watermarked, signed with the
# public demo key and logged, then verified.
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
"$dubkit" vocode --mel "$out/sample_mel.safetensors" -o "$out/sample_vocoder.wav"
"$dubkit" audio info "$out/sample_vocoder.wav"
# The demo key is public (samples/consent/): it is trusted in a store of the demo's own, never
# in the user's.
export DUBKIT_TRUST_DIR="$out/trust" DUBKIT_KEY=samples/consent/demo-studio.key DUBKIT_RENDER_LOG="$out/render-log.jsonl"
rm -rf "$DUBKIT_TRUST_DIR"
"$dubkit" consent trust samples/consent/demo-studio.key.pub
"$dubkit" consent verify samples/consent/sample-consent.json --audio samples/sample.wav
"$dubkit" voice enroll --audio samples/sample.wav --consent samples/consent/sample-consent.json -o "$out/sample.voice"
"$dubkit" say --voice "$out/sample.voice" --text "The rain stopped before noon. We walked to the harbour." -o "$out/say_en.wav"
"$dubkit" say --voice "$out/sample.voice" --lang es --text "La lluvia paró antes del mediodía." -o "$out/say_es.wav"
"$dubkit" say --voice "$out/sample.voice" --lang de --text "Der Regen hörte vor Mittag auf." --duration 2.5 -o "$out/say_de_2.5s.wav"
"$dubkit" verify "$out/say_en.wav"
"$dubkit" log verify
echo
echo "demo outputs in $out/:"
ls -l "$out"
