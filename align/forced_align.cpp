#include "align/forced_align.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace dubkit {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr std::size_t kMaxCells = std::size_t{1} << 28;

void check_inputs(const FrameScores& s, const std::vector<int>& phones, const std::vector<bool>& optional) {
  if (phones.empty()) throw InvalidArgument("forced alignment: no phones to align");
  if (s.frames < 0 || s.classes < 1 || s.data.size() != static_cast<std::size_t>(s.frames) * s.classes)
    throw InvalidArgument("forced alignment: scores hold " + std::to_string(s.data.size()) + " values, not frames " +
                          std::to_string(s.frames) + " x classes " + std::to_string(s.classes));
  if (!optional.empty() && optional.size() != phones.size())
    throw InvalidArgument("forced alignment: " + std::to_string(optional.size()) + " optional flags for " +
                          std::to_string(phones.size()) + " phones");
  for (std::size_t i = 0; i < phones.size(); ++i)
    if (phones[i] < 0 || phones[i] >= s.classes)
      throw InvalidArgument("forced alignment: phone " + std::to_string(i) + " has class " + std::to_string(phones[i]) +
                            ", outside [0, " + std::to_string(s.classes) + ")");
  for (float v : s.data)
    if (std::isnan(v)) throw InvalidArgument("forced alignment: the scores hold NaN");
  std::size_t required = 0;
  for (std::size_t i = 0; i < phones.size(); ++i) required += optional.empty() || !optional[i];
  const std::size_t needed = std::max<std::size_t>(required, 1);
  if (static_cast<std::size_t>(s.frames) < needed)
    throw InvalidArgument("forced alignment: " + std::to_string(s.frames) + " frames for " + std::to_string(needed) +
                          " phones that need at least one frame each");
  if (static_cast<std::size_t>(s.frames) * phones.size() > kMaxCells)
    throw InvalidArgument("forced alignment: " + std::to_string(s.frames) + " frames x " + std::to_string(phones.size()) +
                          " phones is too large for one search; align shorter pieces");
}

}  // namespace

ForcedAlignment forced_align(const FrameScores& s, const std::vector<int>& phones, const std::vector<bool>& optional) {
  check_inputs(s, phones, optional);
  const int T = s.frames;
  const int N = static_cast<int>(phones.size());
  auto opt = [&](int j) { return !optional.empty() && optional[static_cast<std::size_t>(j)]; };

  // back[t * N + j]: the phone the path was in at frame t - 1 when it is in phone j at frame t
  // (j itself: it stayed; -1: frame 0, the path started in j).
  std::vector<std::int32_t> back(static_cast<std::size_t>(T) * N);
  std::vector<double> prev(N, kNegInf), cur(N, kNegInf);

  // Frame 0: the path may start in phone j when every phone before j may be skipped.
  for (int j = 0; j < N; ++j) {
    cur[j] = s.at(0, phones[j]);
    back[j] = -1;
    if (!opt(j)) {
      for (int k = j + 1; k < N; ++k) cur[k] = kNegInf, back[k] = -1;
      break;
    }
  }
  for (int t = 1; t < T; ++t) {
    prev.swap(cur);
    // Best way into phone j at frame t from an earlier phone k (k + 1 .. j - 1 all skipped):
    // entry / entry_from are carried along j.
    double entry = kNegInf;
    int entry_from = -1;
    std::int32_t* bt = back.data() + static_cast<std::size_t>(t) * N;
    for (int j = 0; j < N; ++j) {
      if (j > 0) {
        const double carried = opt(j - 1) ? entry : kNegInf;
        if (prev[j - 1] >= carried) {
          entry = prev[j - 1];
          entry_from = j - 1;
        } else {
          entry = carried;  // entry_from stays: the path skips phone j - 1
        }
      }
      const double stay = prev[j];
      double best;
      if (stay > entry) {
        best = stay;
        bt[j] = j;
      } else {
        best = entry;
        bt[j] = entry_from;
      }
      cur[j] = best == kNegInf ? kNegInf : best + s.at(t, phones[j]);
    }
  }

  // The path may end in phone j when every phone after j may be skipped.
  int last = -1;
  double best = kNegInf;
  for (int j = N - 1; j >= 0; --j) {
    if (last < 0 || cur[j] > best) best = cur[j], last = j;
    if (!opt(j)) break;
  }

  if (best == kNegInf) throw InvalidArgument("forced alignment: every path has a score of -infinity");
  ForcedAlignment out;
  out.score = best;
  out.spans.assign(static_cast<std::size_t>(N), FrameSpan{T, T});  // phones after `last`: empty at the end
  int j = last;
  out.spans[static_cast<std::size_t>(j)].end = T;
  for (int t = T - 1; t >= 0; --t) {
    const int from = back[static_cast<std::size_t>(t) * N + j];
    if (from == j) continue;
    out.spans[static_cast<std::size_t>(j)].begin = t;
    const int stop = from < 0 ? -1 : from;
    for (int k = j - 1; k > stop; --k) out.spans[static_cast<std::size_t>(k)] = FrameSpan{t, t};  // skipped
    if (from < 0) break;
    j = from;
    out.spans[static_cast<std::size_t>(j)].end = t;
  }
  return out;
}

}  // namespace dubkit
