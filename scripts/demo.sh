#!/usr/bin/env bash
# The main job on the embedded sample: a synthetic presenter's English clip
# (samples/presenter.mp4) dubbed into Spanish and German in the presenter's own (synthetic,
# consented) voice, lips re-rendered, each output watermarked, signed with the public demo key,
# verified, and a review page written for the Spanish one.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

dubkit=build/tools/dubkit
out=out/demo
mkdir -p "$out"
# The demo key is public (samples/consent/): it is trusted in a store of the demo's own, never
# in the user's.
export DUBKIT_TRUST_DIR="$out/trust" DUBKIT_KEY=samples/consent/demo-studio.key DUBKIT_RENDER_LOG="$out/render-log.jsonl"
rm -rf "$DUBKIT_TRUST_DIR" "$DUBKIT_RENDER_LOG" "$DUBKIT_RENDER_LOG.head"
"$dubkit" consent trust samples/consent/demo-studio.key.pub
"$dubkit" consent verify samples/consent/sample-consent.json --audio samples/sample.wav
"$dubkit" voice enroll --audio samples/sample.wav --consent samples/consent/sample-consent.json -o "$out/presenter.voice"
for lang in es de; do
  "$dubkit" dub --video samples/presenter.mp4 --voice "$out/presenter.voice" --script "samples/presenter.$lang.srt" \
    --lang "$lang" -o "$out/presenter.$lang.mp4"
  "$dubkit" verify "$out/presenter.$lang.mp4"
done
"$dubkit" review "$out/presenter.es.mp4" -o "$out/review"
"$dubkit" log verify
echo
echo "dubbed sample:  $out/presenter.es.mp4 (Spanish), $out/presenter.de.mp4 (German)"
echo "reports:        $out/presenter.es.mp4.dub.json, $out/presenter.de.mp4.dub.json"
echo "review page:    $out/review/index.html"
