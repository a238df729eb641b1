// Speaker embeddings of recordings as users hand them over: any rate or channel count, any
// length (read and embedded in pieces, so memory does not grow with the file), silence and
// pauses cut by voice-activity detection first, the speech brought to -30 dBFS RMS (as SV2TTS
// does before its encoder: the ge2e-40 input is a power spectrum, so level would otherwise
// reach the network), and a clear refusal when there is too little speech to say anything
// about the voice.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "audio/waveform.hpp"
#include "voice/speaker_encoder.hpp"

namespace dubkit {

struct EmbedOptions {
  double min_speech_seconds = 1.0;  // less speech than this after VAD: InvalidArgument
  double chunk_seconds = 60.0;      // audio read and embedded per piece
  bool vad = true;                  // false: embed the audio as it is
};

struct VoiceEmbedding {
  torch::Tensor embedding;       // [embedding], unit L2 norm
  double seconds = 0;            // audio read
  double speech_seconds = 0;     // audio embedded (after VAD)
  int partials = 0;              // partial windows averaged
  double clipped_fraction = 0;   // samples at or beyond +/-0.999 (reported, not fatal)
};

// Embeds a file; `what` in errors is its path. Throws FormatError for unreadable audio,
// InvalidArgument when it holds too little speech (saying how much was found and needed).
VoiceEmbedding embed_file(SpeakerEncoder& encoder, const std::string& path, const EmbedOptions& opts = {});

// The same for audio in memory (any rate; `what` names it in errors).
VoiceEmbedding embed_wave(SpeakerEncoder& encoder, const Waveform& wave, const std::string& what,
                          const EmbedOptions& opts = {});

// A file's speech: mixed to mono, at 16 kHz, VAD-trimmed (read whole: for corpus utterances).
Waveform read_speech_16k(const std::string& path);

// The level every piece of speech is brought to before its mels are taken.
constexpr double kEmbeddingLevelDbfs = -30.0;

// The voice of several recordings of one speaker: each file's embedding weighted by its
// speech seconds, averaged, L2-normalised. Throws InvalidArgument for no files, and what
// embed_file throws. (A voice profile is only made under verified consent:
// provenance/consent_check.hpp.)
struct AveragedEmbedding {
  std::vector<float> embedding;  // unit L2 norm
  double speech_seconds = 0;
};
AveragedEmbedding average_embedding(SpeakerEncoder& encoder, const std::vector<std::string>& files,
                                    const EmbedOptions& opts = {});
// The same for embeddings already made (throws InvalidArgument for none).
AveragedEmbedding average_embedding(const std::vector<VoiceEmbedding>& embeddings);

// Cosine similarity of two embeddings.
double embedding_similarity(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace dubkit
