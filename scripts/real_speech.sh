#!/usr/bin/env bash
# Reproduces the real-speech figures of issue 23 (models/speaker_encoder.md, models/vocoder.md,
# models/aligner.md): the real corpus from Debian packages, the encoder and the vocoder
# retrained on real + synthetic speech, and every evaluation, per source and language.
#   scripts/real_speech.sh corpus             # out/real (about 700 MB fetched once) and out/corpus, at 16 and 22.05 kHz
#   scripts/real_speech.sh encoder-eval [E]   # EER tables for encoder file E (default: models/)
#   scripts/real_speech.sh vocoder-train      # models/vocoder.md's fine-tune on real speech (about 1.5 h)
#   scripts/real_speech.sh vocoder-eval [V]   # WER / PER / MCD tables for vocoder file V
#   scripts/real_speech.sh vocoder22-train    # models/vocoder-22k.md: the full-band vocoder from scratch
#   scripts/real_speech.sh band-eval [V]      # vocoder-22k.md's table: error rates, MCD (0-8 kHz) and the
#                                             # 4-10 kHz share by source rate, for vocoder file V
#   scripts/real_speech.sh aligner-eval [A]   # boundary tables for aligner file A
#   scripts/real_speech.sh aligner-cost       # alignment costs of true and of other transcripts (models/aligner.md)
#   scripts/real_speech.sh adapt-eval [S]     # voice adapt at 0 / 1 / 5 minutes (models/synthesizer.md)
#   scripts/real_speech.sh adapt-study [S]    # which adapter tensors and learning rates pay (1 minute, 10 sentences)
# The other training commands are in the model cards; they take hours on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
dubkit=build/tools/dubkit
real=out/real
synthetic=out/corpus

case "${1:-}" in
  corpus)
    "$dubkit" corpus build --out "$synthetic" --hours 5 --speakers 240 --seed 1 --rates 16000,22050
    "$dubkit" corpus real --out "$real" --rates 16000,22050
    ;;
  encoder-eval)
    encoder="${2:-models/speaker_encoder.safetensors}"
    eval_row() {  # label, then voice eval arguments
      local label="$1"; shift
      "$dubkit" voice eval --encoder "$encoder" --seconds 2 --per-speaker 10 --json "$@" |
        python3 -c 'import json,sys; r=json.load(sys.stdin); t=r.get("at_calibrated_threshold") or {}
print("| %s | %d | %d / %d | %.2f%% | %s |" % (sys.argv[1], r["speakers"], r["same_trials"], r["different_trials"], 100*r["eer"],
  "%.2f%% / %.2f%%" % (100*t["false_accept_rate"], 100*t["false_reject_rate"]) if t else "-"))' "$label"
    }
    echo "| trials | speakers | same / different | EER | at the calibrated threshold: FA / FR |"
    echo "| --- | --- | --- | --- | --- |"
    eval_row "real, test speakers, all" --corpus "$real" --split test
    eval_row "real, test speakers with 5+ minutes" --corpus "$real" --split test --min-minutes 5
    eval_row "real, test speakers with 4+ minutes" --corpus "$real" --split test --min-minutes 4
    eval_row "real, val speakers (calibration)" --corpus "$real" --split val
    for source in klettres ktuberling tuxpaint; do
      eval_row "real test, $source" --corpus "$real" --split test --source "$source"
    done
    for lang in ru nl cs fr; do
      eval_row "real test, language $lang" --corpus "$real" --split test --lang "$lang"
    done
    eval_row "synthetic, test speakers, all" --corpus "$synthetic" --split test
    for lang in en es de; do
      eval_row "synthetic test, language $lang" --corpus "$synthetic" --split test --lang "$lang"
    done
    ;;
  vocoder-train)
    # From the synthetic-only vocoder of commit f180b08 (models/vocoder.md's first recipe), in
    # four stages; each stage's run folder resumes with --resume.
    git show f180b08:models/vocoder.safetensors > out/vocoder_synthetic.safetensors
    train=("$dubkit" train vocoder --corpus "$real" --also "$synthetic" --checkpoint-every 1000)
    "${train[@]}" --init out/vocoder_synthetic.safetensors --out out/runs/vocoder_real --steps 3000 \
      --gan-start 3000 --lr 2e-4 --warmup 100 --half
    "${train[@]}" --init out/vocoder_synthetic.safetensors --out out/runs/vocoder_real --steps 3600 \
      --gan-start 3000 --lr 2e-4 --warmup 100 --half --resume
    "${train[@]}" --init out/runs/vocoder_real/vocoder.safetensors --out out/runs/vocoder_real3 --steps 12000 \
      --gan-start 12000 --lr 3e-4 --warmup 200 --threads 1
    "${train[@]}" --init out/runs/vocoder_real3/vocoder.safetensors --out out/runs/vocoder_real4 --steps 16000 \
      --gan-start 16000 --lr 2e-4 --warmup 200 --threads 1 --half
    ;;
  vocoder22-train)
    # The real corpus at 22050 Hz (scripts/real_speech.sh corpus) and 1.25 h of the synthetic one.
    "$dubkit" corpus build --out out/corpus-1h --hours 1.25 --speakers 240 --seed 1 --rates 16000,22050
    "$dubkit" train vocoder --preset dubkit-22k --corpus "$real" --also out/corpus-1h --out out/runs/vocoder22 \
      --segment 11264 --steps 18000 --gan-start 18000 --lr 5e-4 --warmup 200 --checkpoint-every 500 \
      --validate-every 2000 --half
    ;;
  band-eval)
    vocoder="${2:-default}"
    for set in "val en 40" "test ru 20" "test cs 20" "test nl 20" "test fr 20" "test da 20"; do
      read -r split lang n <<<"$set"
      "$dubkit" vocoder eval --corpus "$real" --vocoder "$vocoder" --split "$split" --lang "$lang" --utterances "$n" --json
    done | python3 -c '
import json, sys
rates = {}
for line in open(sys.argv[1] + "/manifest.jsonl"):
    u = json.loads(line)
    rates[u["id"]] = u.get("source_rate", 0)
dec = json.JSONDecoder()
text = sys.stdin.read()
pos = 0
print("| set | utterances | error rate: original / vocoded (ratio) | MCD 0-8 kHz, vocoded / Griffin-Lim | 4-10 kHz share, original / vocoded: full-band sources (n) | the same: 16 kHz sources (n) | RTF |")
print("| --- | --- | --- | --- | --- | --- | --- |")
while pos < len(text):
    while pos < len(text) and text[pos].isspace(): pos += 1
    if pos >= len(text): break
    r, pos = dec.raw_decode(text, pos)
    def band(full):
        rows = [x for x in r["rows"] if (rates.get(x["id"], 0) >= 22050) == full]
        if not rows: return "-"
        o = sum(x["band_4_10k_db_original"] for x in rows) / len(rows)
        v = sum(x["band_4_10k_db"] for x in rows) / len(rows)
        return "%.1f / %.1f dB (%d)" % (o, v, len(rows))
    print("| %s %s | %d | %.1f%% / %.1f%% (%.2f) | %.2f / %.2f dB | %s | %s | %.4f |" % (r["split"], r["lang"], r["utterances"],
          100 * r["wer_original"], 100 * r["wer"], r["wer_ratio"], r["mcd"], r["mcd_griffinlim"], band(True), band(False),
          r["real_time_factor"]))
' "$real"
    ;;
  vocoder-eval)
    vocoder="${2:-default}"
    "$dubkit" vocoder eval --corpus "$real" --vocoder "$vocoder" --split val --lang en --utterances 40
    for lang in ru cs nl fr; do
      "$dubkit" vocoder eval --corpus "$real" --vocoder "$vocoder" --split test --lang "$lang" --utterances 20
    done
    "$dubkit" vocoder eval --corpus "$synthetic" --vocoder "$vocoder" --split test --utterances 40
    ;;
  aligner-eval)
    aligner="${2:-models/aligner.safetensors}"
    voice="$HOME/.cache/dubkit/debian/root/festvox-ru/usr/share/festival/voices/russian/msu_ru_nsh_clunits"
    "$dubkit" align eval --model "$aligner" --corpus "$synthetic" --split test
    "$dubkit" align eval --model "$aligner" --festvox-lab "$voice/lab" --festvox-wav "$voice/wav" --text "$voice/etc/txt.done.data"
    ;;
  aligner-cost)
    # 12 recordings per set (seeded shuffle), each aligned to its own text and to the next one's.
    python3 - "$dubkit" <<'PY'
import json, random, subprocess, sys
dubkit = sys.argv[1]
sets = {"real en, asterisk-allison": ("out/real", lambda u: u["speaker"] == "asterisk-allison" and u["lang"] == "en"),
        "real ru, festvox-ru-nsh": ("out/real", lambda u: u["speaker"] == "festvox-ru-nsh"),
        "real nl, fillets-nl-small": ("out/real", lambda u: u["speaker"] == "fillets-nl-small"),
        "real fr, tuxpaint-fr": ("out/real", lambda u: u["speaker"] == "tuxpaint-fr"),
        "synthetic en, test": ("out/corpus", lambda u: u["lang"] == "en" and u["split"] == "test")}
random.seed(1)
for name, (corpus, keep) in sets.items():
    us = [u for u in map(json.loads, open(corpus + "/manifest.jsonl")) if keep(u) and u["duration"] > 1.5]
    random.shuffle(us)
    us = us[:12]
    costs = {"own text": [], "another's text": []}
    for i, u in enumerate(us):
        for kind, text in (("own text", u["text"]), ("another's text", us[(i + 1) % len(us)]["text"])):
            r = subprocess.run([dubkit, "align", "file", corpus + "/" + u["path"], "--text", text, "--lang", u["lang"], "--json"],
                               capture_output=True, text=True, check=True)
            costs[kind].append(json.loads(r.stdout)["cost"])
    for kind, c in costs.items():
        c.sort()
        print(f"{name}, {kind}: min {c[0]:.2f}, median {c[len(c) // 2]:.2f}, max {c[-1]:.2f}")
PY
    ;;
  adapt-eval)
    # The real English reader the synthesizer never heard (asterisk-en, a val speaker of the corpus).
    speaker="${2:-asterisk-allison}"
    "$dubkit" voice adapt-eval --corpus "$real" --speaker "$speaker" --lang en --minutes 0 1 5 --test 40 \
      --work "$(mktemp -d)"
    ;;
  adapt-study)
    speaker="${2:-asterisk-allison}"
    all=embedding,decoder_scale,decoder_shift,mel_scale,mel_shift
    for variant in "--freeze $all" "--freeze decoder_scale,decoder_shift,mel_scale,mel_shift" \
                   "--freeze decoder_scale,decoder_shift,embedding" "--freeze mel_scale,mel_shift,embedding" \
                   "--lr 0.003" "--lr 0.001 --steps 200" "--lr 0.0003 --steps 200"; do
      echo "== $variant"
      # shellcheck disable=SC2086
      "$dubkit" voice adapt-eval --corpus "$real" --speaker "$speaker" --lang en --minutes 0 1 --test 10 --no-wer \
        $variant --work "$(mktemp -d)"
    done
    ;;
  *)
    sed -n 2,12p "$0"
    exit 2
    ;;
esac
