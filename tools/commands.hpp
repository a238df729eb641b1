// The dubkit subcommands. Each register_* adds its subcommands to the app with a callback
// that does the work through the library; main.cpp maps exceptions to exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace dubkit::cli {

void register_audio(CLI::App& app);
void register_consent(CLI::App& app);  // consent init-key, trust, statement, create, verify, revoke
void register_corpus(CLI::App& app);
void register_devices(CLI::App& app);  // play, record, devices
void register_doctor(CLI::App& app);
void register_dub(CLI::App& app);
void register_faces(CLI::App& app);
void register_lipsync(CLI::App& app);
void register_models(CLI::App& app);
void register_review(CLI::App& app);  // review
void register_say(CLI::App& app);
void register_synth(CLI::App& app);
void register_sync(CLI::App& app);  // sync score, batch, shift, make-set, eval, redrive
void register_text(CLI::App& app);
void register_train(CLI::App& app);
void register_train_syncnet(CLI::App* train);  // train syncnet
void register_train_lipsync(CLI::App* train);  // train lipsync
void register_train_aligner(CLI::App* train);  // train aligner (cmd_align.cpp)
void register_align(CLI::App& app);  // align file, eval
void register_verify(CLI::App& app);  // verify, log verify
void register_voice(CLI::App& app);
void register_watermark(CLI::App& app);  // watermark embed, detect, robustness
void register_vocode(CLI::App& app);
void register_vocoder(CLI::App& app);  // vocoder eval

// Prints JSON results on stdout (--json).
void print_json(const nlohmann::ordered_json& j);

// Where default model files are looked for, in order: $DUBKIT_MODELS, then the models/ of
// the source tree the binary was built from.
std::vector<std::string> model_dirs();

// `given` when not empty, else `default_file` from the first model directory that has it.
// Throws InvalidArgument naming `flag` when neither exists.
std::string model_path(const std::string& given, const std::string& default_file, const std::string& flag);

// The default models' file names.
inline constexpr const char* kDefaultEncoder = "speaker_encoder.safetensors";
inline constexpr const char* kDefaultSynthesizer = "synthesizer.safetensors";
inline constexpr const char* kDefaultVocoder = "vocoder.safetensors";
inline constexpr const char* kDefaultLipSync = "lipsync.safetensors";
inline constexpr const char* kDefaultSyncExpert = "sync_expert.safetensors";
inline constexpr const char* kDefaultAligner = "aligner.safetensors";

// --vocoder: "default" (models/vocoder.safetensors), "griffinlim", or a vocoder file.
std::string vocoder_spec(const std::string& given);

}  // namespace dubkit::cli
