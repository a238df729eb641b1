// The review page's picture of each line: the wav2lip-16k mel spectrogram of the line's span
// of the dubbed sound (the mel the lip-sync network hears), as DIR/lines/NNN.png.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "audio/waveform.hpp"
#include "dub/dub_report.hpp"

namespace dubkit {

inline constexpr int kReviewAudioRate = 16000;  // what the dubbed sound is read and pictured at

// Writes the pictures into `dir`/lines (which must exist) and returns each line's relative
// link ("lines/001.png"), "" for a line past the end of the sound and for every line when there
// is no sound. Pictures are numbered by the report's line numbers when they are distinct and
// in 1..999, else by position; NNN.png files there that this call did not write are removed
// (an earlier, longer report's). Never writes over one of `inputs`. Throws IoError.
std::vector<std::string> write_line_pictures(const std::filesystem::path& dir, const std::vector<DubLine>& lines,
                                             const std::optional<Waveform>& audio, const std::vector<std::string>& inputs);

}  // namespace dubkit
