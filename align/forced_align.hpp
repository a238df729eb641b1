// Viterbi forced alignment of a known phone sequence to per-frame scores.
//
// The path is monotonic: every frame belongs to exactly one phone, phones take frames in the
// order given, a phone's frames are contiguous, and every phone takes at least one frame except
// those marked optional, which may take none (the aligner marks pauses optional: a transcript's
// pause, from punctuation or a word gap, is not always spoken). There are no transition or
// duration terms: a phone's length is whatever its scores support, which keeps the search free
// of parameters tuned to one speaking rate. Pure C++, no LibTorch; no state (thread-safe).
#pragma once

#include <cstddef>
#include <vector>

namespace dubkit {

// Per-frame scores, row-major [frames, classes]: log-domain, higher is better (log-posteriors,
// or log-posteriors minus a scaled log-prior). -infinity forbids a class at a frame; NaN is
// refused.
struct FrameScores {
  int frames = 0;
  int classes = 0;
  std::vector<float> data;  // frames * classes, data[t * classes + c]
  FrameScores() = default;
  FrameScores(int t, int c) : frames(t), classes(c), data(static_cast<std::size_t>(t) * c, 0.0f) {}
  float& at(int t, int c) { return data[static_cast<std::size_t>(t) * classes + c]; }
  float at(int t, int c) const { return data[static_cast<std::size_t>(t) * classes + c]; }
};

// Frames [begin, end) of one phone; begin == end for a skipped optional phone (then both are
// the frame where it would have started).
struct FrameSpan {
  int begin = 0;
  int end = 0;
  int frames() const { return end - begin; }
};

struct ForcedAlignment {
  std::vector<FrameSpan> spans;  // one per phone, contiguous: spans[0].begin == 0, last end == frames
  double score = 0;              // sum of the chosen frames' scores
};

// Aligns `phones` (class ids in [0, scores.classes)) to `scores`. `optional[i]` (empty: none)
// lets phone i take zero frames. Ties between paths go to the earlier boundary.
// Time O(frames * phones), memory O(frames * phones) 4-byte back-pointers (refused above 2^28
// cells, about 45 min of 10 ms frames against 1000 phones: cut longer audio first).
// Throws InvalidArgument when: phones is empty, an id is out of range, optional has another
// size, scores.data has the wrong size or holds NaN, or there are fewer frames than phones
// that must take one (the message gives both counts), or when no path has a finite score.
ForcedAlignment forced_align(const FrameScores& scores, const std::vector<int>& phones,
                             const std::vector<bool>& optional = {});

}  // namespace dubkit
