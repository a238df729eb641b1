#include "review/line_pictures.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>

#include "audio/mel_preset.hpp"
#include "audio/spectrogram_image.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

// A file name safe to use in a relative link.
std::string line_picture_name(int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%03d.png", n);
  return buf;
}

}  // namespace

std::vector<std::string> write_line_pictures(const fs::path& dir, const std::vector<DubLine>& lines,
                                             const std::optional<Waveform>& audio, const std::vector<std::string>& inputs) {
  std::set<int> seen;
  bool by_index = true;
  for (const DubLine& l : lines) by_index = by_index && l.index >= 1 && l.index <= 999 && seen.insert(l.index).second;
  std::vector<std::string> pictures(lines.size());
  std::set<std::string> written;
  const MelAnalyzer mel(mel_preset("wav2lip-16k"));
  const double frames_per_second = static_cast<double>(kReviewAudioRate) / mel.preset().stft.hop;
  for (std::size_t i = 0; i < lines.size() && audio; ++i) {
    const DubLine& l = lines[i];
    const std::size_t a = static_cast<std::size_t>(std::floor(l.start * kReviewAudioRate));
    const std::size_t b = std::min(audio->samples.size(), static_cast<std::size_t>(std::ceil(l.end * kReviewAudioRate)));
    if (a >= b) continue;  // the line lies past the end of the audio
    Waveform span;
    span.rate = kReviewAudioRate;
    span.samples.assign(audio->samples.begin() + static_cast<std::ptrdiff_t>(a), audio->samples.begin() + static_cast<std::ptrdiff_t>(b));
    const std::size_t min_len = static_cast<std::size_t>(mel.preset().stft.win_length);
    if (span.samples.size() < min_len) span.samples.resize(min_len, 0.0f);
    const std::string name = line_picture_name(by_index ? l.index : static_cast<int>(i + 1));
    char title[96];
    std::snprintf(title, sizeof title, "line %d  %.2f-%.2f s  wav2lip-16k mel", l.index, l.start, l.end);
    write_spectrogram_png((dir / "lines" / name).string(), mel.compute(span), frames_per_second, title, inputs);
    pictures[i] = "lines/" + name;
    written.insert(name);
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / "lines", ec)) {
    const std::string f = e.path().filename().string();
    if (f.size() == 7 && f.compare(3, 4, ".png") == 0 && std::all_of(f.begin(), f.begin() + 3, [](unsigned char c) { return std::isdigit(c) != 0; }) && !written.count(f))
      fs::remove(e.path(), ec);
  }
  return pictures;
}

}  // namespace dubkit
