#include "audio/voice_statistics.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "core/subprocess.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

// Pitch every 10 ms; at each voiced frame, the three formants (frames where Praat has no value
// are skipped). Prints: median F0, mean F1, F2, F3, voiced frames.
constexpr const char* kScript = R"(form Voice statistics
  sentence file
  real ceiling 5500
endform
sound = Read from file: file$
pitch = To Pitch: 0.01, 75, 600
f0 = Get quantile: 0, 0, 0.5, "Hertz"
selectObject: sound
formant = To Formant (burg): 0.01, 5, ceiling, 0.025, 50
selectObject: pitch
frames = Get number of frames
n = 0
s1 = 0
s2 = 0
s3 = 0
for i to frames
  selectObject: pitch
  t = Get time from frame number: i
  v = Get value in frame: i, "Hertz"
  if v <> undefined
    selectObject: formant
    a = Get value at time: 1, t, "hertz", "linear"
    b = Get value at time: 2, t, "hertz", "linear"
    c = Get value at time: 3, t, "hertz", "linear"
    if a <> undefined and b <> undefined and c <> undefined
      n = n + 1
      s1 = s1 + a
      s2 = s2 + b
      s3 = s3 + c
    endif
  endif
endfor
if n = 0
  exitScript: "no voiced frame"
endif
writeInfoLine: fixed$(f0, 3), " ", fixed$(s1 / n, 3), " ", fixed$(s2 / n, 3), " ", fixed$(s3 / n, 3), " ", n
)";

// A file removed when it goes out of scope.
struct TempFile {
  std::string path;
  ~TempFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};

}  // namespace

double formant_ceiling_for(double median_f0) { return median_f0 > 160 ? 5500.0 : 5000.0; }

VoiceStatistics praat_voice_statistics(const Waveform& wave, double ceiling) {
  if (wave.samples.empty()) throw InvalidArgument("voice statistics: empty audio");
  if (!(ceiling >= 3000 && ceiling <= 8000))
    throw InvalidArgument("voice statistics: formant ceiling " + std::to_string(ceiling) + " Hz is outside 3000-8000 Hz");
  const std::string stem = (fs::temp_directory_path() / ("dubkit-praat-" + std::to_string(::getpid()))).string();
  const TempFile script{stem + ".praat"}, audio{stem + ".wav"};
  std::ofstream(script.path) << kScript;
  write_audio(audio.path, wave);
  ProgramResult r;
  try {
    r = run_program({"praat", "--run", script.path, audio.path, std::to_string(ceiling)});
  } catch (const Error& e) {
    throw IoError(std::string("voice statistics need Praat (apt install praat): ") + e.what());
  }
  if (!r.ok()) throw Error("praat failed (exit " + std::to_string(r.exit_code) + "): " + r.output);
  VoiceStatistics s;
  std::istringstream in(r.output);
  if (!(in >> s.median_f0 >> s.f1 >> s.f2 >> s.f3 >> s.voiced_frames))
    throw Error("praat printed something other than five numbers: " + r.output);
  return s;
}

}  // namespace dubkit
