// Mel spectrograms on disk, so a mel made by one tool (dubkit's synthesizer, a Python
// Tacotron, `dubkit vocode --save-mel`) can be vocoded by another: a safetensors file holding
// "mel" [n_mels, T] (float32 or float16; [1, n_mels, T] is accepted) and, in its metadata,
// "preset" naming the dubkit preset the values are in (absent: unknown). `dubkit audio mel`
// writes these too.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "audio/features.hpp"

namespace dubkit {

struct MelFile {
  FeatureMatrix mel;   // [n_mels, T]
  std::string preset;  // "" when the file does not say
};

// Throws IoError / FormatError naming the file: no "mel" tensor, not 2-D (or 3-D with a
// leading 1), or not a float type.
MelFile read_mel_file(const std::string& path);
// The same on bytes in memory (`source` names them in errors); used by the fuzz target.
MelFile read_mel_file_from_memory(const void* data, std::size_t size, const std::string& source);
// `extra` metadata is written beside "preset".
void write_mel_file(const std::string& path, const FeatureMatrix& mel, const std::string& preset,
                    std::map<std::string, std::string> extra = {});

}  // namespace dubkit
