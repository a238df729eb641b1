#!/bin/sh
# The sync study of docs/SYNC.md in one command: a labelled test set made from a corpus's
# held-out utterances on synthetic faces (`sync make-set`), scored by dubkit's expert
# (`sync batch`, resumable: rerun to continue) and evaluated (`sync eval`). With SYNCNET_V2 set
# to the public syncnet_v2.model, the set is also scored and evaluated with that model.
#   scripts/sync_study.sh CORPUS OUT [CLIPS]
# e.g. scripts/sync_study.sh out/corpus out/sync_study 20   (the corpus of README's training section)
set -eu
corpus=${1:?usage: scripts/sync_study.sh CORPUS OUT [CLIPS]}
out=${2:?usage: scripts/sync_study.sh CORPUS OUT [CLIPS]}
clips=${3:-20}
dubkit=${DUBKIT:-build/tools/dubkit}

[ -f "$out/labels.csv" ] || "$dubkit" sync make-set --corpus "$corpus" --out "$out" --clips "$clips"
"$dubkit" sync batch "$out/list.txt" -o "$out/results.csv" --jobs 2
"$dubkit" sync eval "$out/labels.csv" "$out/results.csv" --roc "$out/roc.png" --markdown "$out/eval.md"
if [ -n "${SYNCNET_V2:-}" ]; then
  "$dubkit" sync batch "$out/list.txt" -o "$out/results_syncnet_v2.csv" --jobs 2 --expert "$SYNCNET_V2"
  "$dubkit" sync eval "$out/labels.csv" "$out/results_syncnet_v2.csv" --roc "$out/roc_syncnet_v2.png" \
    --markdown "$out/eval_syncnet_v2.md"
fi
