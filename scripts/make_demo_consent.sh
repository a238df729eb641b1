#!/usr/bin/env bash
# Remakes samples/consent/: the demo studio key and the consent record of the samples' synthetic
# performer (flite's slt voice, the voice of samples/sample.wav), whose spoken statement flite
# reads. The key is public on purpose (it is committed): it signs demo material only, and its
# name says so. Needs the Debian package flite (the command-line synthesiser) and a built dubkit.
set -euo pipefail
cd "$(dirname "$0")/.."
dubkit=build/tools/dubkit
d=samples/consent
rm -rf "$d" && mkdir -p "$d"
"$dubkit" consent init-key --name "Harbor Sound (DEMO KEY: public, signs the samples only)" -o "$d/demo-studio.key" --no-trust
statement=$("$dubkit" consent statement --performer "Anna Brown" --studio "Harbor Sound" --json)
text=$(echo "$statement" | python3 -c 'import json,sys; print(json.load(sys.stdin)["text"])')
challenge=$(echo "$statement" | python3 -c 'import json,sys; print(json.load(sys.stdin)["challenge"])')
tmp=$(mktemp -d)
flite -voice slt -t "$text" -o "$tmp/statement.wav"
"$dubkit" consent create --performer "Anna Brown" --studio "Harbor Sound" --project "dubkit samples (synthetic voice: flite slt)" \
  --uses dubbing,lip-sync,research --languages en,es,de --valid-until 2036-12-31 --revocation "dubkit-demo" \
  --valid-from 2026-11-30 --challenge "$challenge" --statement-audio "$tmp/statement.wav" \
  --key "$d/demo-studio.key" -o "$d/sample-consent.json"
rm -rf "$tmp"
# The record must verify against the sample voice with the demo key trusted.
trust=$(mktemp -d)
"$dubkit" consent trust "$d/demo-studio.key.pub" --trust "$trust" >/dev/null
"$dubkit" consent verify "$d/sample-consent.json" --trust "$trust" --audio samples/sample.wav
rm -rf "$trust"
