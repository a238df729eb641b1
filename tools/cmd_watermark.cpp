// dubkit watermark embed | detect | robustness
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "provenance/watermark.hpp"
#include "lipsync/mark_robustness.hpp"
#include "provenance/watermark_robustness.hpp"
#include "tools/commands.hpp"

namespace dubkit::cli {

namespace fs = std::filesystem;

namespace {

nlohmann::ordered_json detection_json(const WatermarkDetection& d) {
  nlohmann::ordered_json blocks = nlohmann::ordered_json::array();
  for (const auto& b : d.blocks) {
    nlohmann::ordered_json j{{"start_seconds", b.start_seconds}, {"seconds", b.seconds}, {"found", b.found}, {"score", b.score},
                             {"false_positive_probability", b.false_positive_probability},
                             {"time_scale", b.time_scale}, {"freq_scale", b.freq_scale}};
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", b.payload);
    j["payload"] = b.found ? nlohmann::ordered_json(hex) : nullptr;
    blocks.push_back(j);
  }
  return blocks;
}

void add_embed(CLI::App* wm) {
  struct Opts {
    std::string in, out, key_hex, consent = "debug-consent", output_id = "debug-output";
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = wm->add_subcommand("embed", "Mark an audio file (debugging; synthesis marks its own output)");
  cmd->add_option("IN", o->in, "Input audio file")->required();
  cmd->add_option("-o,--output", o->out, "Marked output file (same rate and length)")->required();
  cmd->add_option("--key-hex", o->key_hex, "Watermark key: 64 hex digits")->required();
  cmd->add_option("--consent", o->consent, "Consent id in the payload HMAC")->capture_default_str();
  cmd->add_option("--output-id", o->output_id, "Output id in the payload HMAC")->capture_default_str();
  cmd->footer("Example: dubkit watermark embed in.wav -o marked.wav --key-hex 00112233...");
  cmd->callback([o] {
    const WatermarkKey key = watermark_key_from_hex(o->key_hex);
    const Waveform in = read_mono(o->in);
    check_audio_output(o->out, in.rate, 1, SampleFormat::Pcm16, {o->in});
    const Waveform out = embed_watermark(in, key, [&](std::size_t block) {
      return watermark_payload(key, o->consent, o->output_id, block);
    });
    write_audio(o->out, out, SampleFormat::Pcm16, {o->in});
    std::printf("%s: %zu one-second blocks marked\n", o->out.c_str(), static_cast<std::size_t>(in.seconds()));
  });
}

void add_detect(CLI::App* wm) {
  struct Opts {
    std::string in, key_hex;
    double max_fp = 1e-6;
    bool json = false, scales = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = wm->add_subcommand("detect", "Search an audio file for the mark, per block (each second; half a second for a short tail)");
  cmd->add_option("IN", o->in, "Audio file")->required();
  cmd->add_option("--key-hex", o->key_hex, "Watermark key: 64 hex digits")->required();
  cmd->add_option("--max-false-positive", o->max_fp, "A block is found at or under this false-positive probability")
      ->capture_default_str();
  cmd->add_flag("--search-scales", o->scales,
                "Also try speed and tempo changes of 0.89..1.11 (more tests, so a higher score is needed)");
  cmd->add_flag("--json", o->json, "Print the result as JSON");
  cmd->callback([o] {
    const WatermarkDetection d = detect_watermark(read_mono(o->in), watermark_key_from_hex(o->key_hex), o->max_fp,
                                                  o->scales ? WatermarkSearch::wide() : WatermarkSearch{});
    if (o->json) {
      print_json({{"file", o->in}, {"found", d.found()}, {"blocks", detection_json(d)}});
      return;
    }
    for (const auto& b : d.blocks) {
      if (b.found)
        std::printf("%8.3f s  mark found    payload %08x  z %5.2f  false-positive p %.2g%s\n", b.start_seconds, b.payload,
                    b.score, b.false_positive_probability, b.seconds < 1 ? "  (half-second block)" : "");
      else
        std::printf("%8.3f s  no mark found (unknown, not evidence of authenticity)  z %5.2f\n", b.start_seconds, b.score);
    }
    if (d.blocks.empty()) std::printf("shorter than half a second: unknown\n");
  });
}

// Every file with `extension` under `dir`, sorted, then `count` of them evenly spaced (all when
// count is 0).
std::vector<std::string> pick_files(const std::string& dir, std::size_t count, const std::string& extension) {
  if (!fs::is_directory(dir)) throw InvalidArgument("--dir " + dir + " is not a directory");
  std::vector<std::string> all;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == extension) all.push_back(e.path().string());
  std::sort(all.begin(), all.end());
  if (all.empty()) throw InvalidArgument("--dir " + dir + " has no " + extension + " files");
  if (count == 0 || count >= all.size()) return all;
  std::vector<std::string> picked;
  for (std::size_t i = 0; i < count; ++i) picked.push_back(all[i * all.size() / count]);
  return picked;
}

const char* delivery_name(WatermarkDelivery d) { return d == WatermarkDelivery::pcm16 ? "pcm16" : "aac128"; }

void print_report(const RobustnessReport& r) {
  std::printf("rate %d Hz, delivered as %s, files %zu, marked blocks %zu, SNR marked vs unmarked: mean %.2f dB, min %.2f dB\n",
              r.rate, delivery_name(r.delivery), r.files, r.marked_blocks,
              r.snr_mean_db, r.snr_min_db);
  std::printf("found = false-positive probability <= %g. Left: position search only (default detect). "
              "Right: also the scale search (WatermarkSearch::wide).\n\n", r.max_false_positive);
  std::printf("| attack | expected blocks | detection rate | exact payloads | bit accuracy | false positives (unmarked) "
              "| scale search: detection rate | exact payloads | bit accuracy | false positives (unmarked) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& a : r.attacks) {
    std::printf("| %s%s | %zu", a.name.c_str(), a.clipped_samples ? " (clips)" : "", a.expected_blocks);
    for (const DetectionTally* t : {&a.plain, &a.scaled})
      std::printf(" | %.3f | %.3f | %.4f | %zu/%zu", a.rate(*t), t->exact_payload_rate(), t->bit_accuracy(), t->false_positives,
                  t->unmarked_blocks);
    std::printf(" |\n");
  }
  std::printf("\nstray detections (found blocks at no expected position), plain/scale search:");
  for (const auto& a : r.attacks) std::printf(" %s %zu/%zu;", a.name.c_str(), a.plain.stray_detections, a.scaled.stray_detections);
  std::printf("\nclipped samples:");
  for (const auto& a : r.attacks)
    if (a.clipped_samples) std::printf(" %s %zu;", a.name.c_str(), a.clipped_samples);
  std::printf("\n");
  for (const auto& c : r.null_checks) {
    std::printf("\nnull check, %s: %zu candidate tests, z mean %.3f variance %.3f max %.2f\n", c.condition.c_str(), c.tests,
                c.mean, c.variance, c.max);
    std::printf("| z >= | Gaussian tail | bound exp(-z^2/2) | empirical (count) |\n|---|---|---|---|\n");
    for (const auto& t : c.tails)
      std::printf("| %.3f | %.1e | %.1e | %.2e (%zu) |\n", t.threshold, t.gaussian, t.bound, t.empirical(), t.exceed);
  }
}

nlohmann::ordered_json tally_json(const AttackScore& a, const DetectionTally& t) {
  return {{"detected_blocks", t.detected_blocks}, {"detection_rate", a.rate(t)},
          {"exact_payload_rate", t.exact_payload_rate()}, {"bit_accuracy", t.bit_accuracy()},
          {"stray_detections", t.stray_detections}, {"unmarked_blocks", t.unmarked_blocks},
          {"false_positives", t.false_positives}};
}

nlohmann::ordered_json report_json(const RobustnessReport& r, const std::vector<std::string>& files, double seconds) {
  nlohmann::ordered_json attacks = nlohmann::ordered_json::array();
  for (const auto& a : r.attacks)
    attacks.push_back({{"attack", a.name}, {"expected_blocks", a.expected_blocks}, {"clipped_samples", a.clipped_samples},
                       {"position_search", tally_json(a, a.plain)}, {"scale_search", tally_json(a, a.scaled)}});
  nlohmann::ordered_json nulls = nlohmann::ordered_json::array();
  for (const auto& c : r.null_checks) {
    nlohmann::ordered_json tails = nlohmann::ordered_json::array();
    for (const auto& t : c.tails)
      tails.push_back({{"threshold", t.threshold}, {"gaussian", t.gaussian}, {"bound", t.bound}, {"exceed", t.exceed},
                       {"empirical", t.empirical()}});
    nulls.push_back({{"condition", c.condition}, {"tests", c.tests}, {"mean", c.mean}, {"variance", c.variance},
                     {"max", c.max}, {"tails", tails}});
  }
  return {{"rate", r.rate}, {"delivery", delivery_name(r.delivery)}, {"files", files}, {"marked_blocks", r.marked_blocks}, {"snr_mean_db", r.snr_mean_db},
          {"snr_min_db", r.snr_min_db}, {"max_false_positive", r.max_false_positive}, {"attacks", attacks},
          {"null_checks", nulls}, {"wall_seconds", seconds}};
}

void add_robustness(CLI::App* wm) {
  struct Opts {
    std::string dir;
    std::size_t files = 30;
    std::uint64_t seed = 1;
    int null_keys = 10, rate = 16000;
    WatermarkDelivery delivery = WatermarkDelivery::pcm16;
    std::vector<std::string> attacks;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = wm->add_subcommand("robustness", "Mark speech files, attack them, detect: the robustness table");
  cmd->add_option("--dir", o->dir, "Directory searched recursively for .wav speech files")->required();
  cmd->add_option("--files", o->files, "How many files, evenly spaced in sorted order (0: all)")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed for keys, payloads and attacks")->capture_default_str();
  cmd->add_option("--null-keys", o->null_keys, "Random keys per file for the null check")->capture_default_str();
  cmd->add_option("--rate", o->rate, "Sample rate (Hz) the files are marked, attacked and searched at: an output's own rate")
      ->capture_default_str();
  cmd->add_option("--delivery", o->delivery, "How the marked file leaves dubkit before the attacks: pcm16 (say's WAV) or aac128 (dub's MP4)")
      ->transform(CLI::CheckedTransformer(std::map<std::string, WatermarkDelivery>{{"pcm16", WatermarkDelivery::pcm16},
                                                                                   {"aac128", WatermarkDelivery::aac128}}))
      ->capture_default_str();
  cmd->add_option("--attacks", o->attacks, "Only the attacks whose names contain one of these words (e.g. AAC MP3)");
  cmd->add_flag("--json", o->json, "Print the result as JSON");
  cmd->footer("Example: dubkit watermark robustness --dir out/corpus/wav --files 30");
  cmd->callback([o] {
    const auto start = std::chrono::steady_clock::now();
    const auto paths = pick_files(o->dir, o->files, ".wav");
    std::vector<Waveform> speech;
    for (const auto& p : paths) speech.push_back(read_mono(p));
    RobustnessOptions opt;
    opt.seed = o->seed;
    opt.null_keys = o->null_keys;
    opt.rate = o->rate;
    opt.delivery = o->delivery;
    opt.attacks = o->attacks;
    opt.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    const RobustnessReport r = evaluate_watermark_robustness(speech, opt);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (o->json) {
      print_json(report_json(r, paths, seconds));
      return;
    }
    print_report(r);
    std::printf("\nwall time %.1f s\n", seconds);
  });
}

void add_video_robustness(CLI::App* wm) {
  struct Opts {
    std::vector<std::string> clips;
    std::string dir, model, work = "video-mark-work";
    std::size_t files = 0;
    std::uint64_t seed = 1;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = wm->add_subcommand("video-robustness",
                                 "Lip-sync clips with the frames' mark, re-encode them, detect: the video mark's table");
  cmd->add_option("CLIPS", o->clips, "Videos with a face and speech");
  cmd->add_option("--dir", o->dir, "Also every .mp4 under this directory");
  cmd->add_option("--files", o->files, "From --dir, how many, evenly spaced in sorted order (0: all)")->capture_default_str();
  cmd->add_option("--model", o->model, std::string("Generator (default: models/") + kDefaultLipSync + ")");
  cmd->add_option("--work-dir", o->work, "Temporary files")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed for the keys")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the result as JSON");
  cmd->footer("Example: dubkit watermark video-robustness samples/presenter.mp4 --dir faces/clips --files 6");
  cmd->callback([o] {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::string> clips = o->clips;
    if (!o->dir.empty())
      for (const auto& p : pick_files(o->dir, o->files, ".mp4")) clips.push_back(p);
    VideoMarkRobustnessOptions opt;
    opt.model = model_path(o->model, kDefaultLipSync, "--model");
    opt.work_dir = o->work;
    opt.seed = o->seed;
    opt.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    const VideoMarkReport r = evaluate_video_mark(clips, opt);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& t : r.attacks)
      rows.push_back({{"attack", t.attack}, {"expected_seconds", t.expected}, {"found", t.found}, {"detection_rate", t.rate()},
                      {"exact_payloads", t.exact}, {"unmarked_seconds", t.unmarked}, {"false_positives", t.false_positives},
                      {"bit_rate_ratio", t.bit_rate_ratio}});
    if (o->json) {
      print_json({{"clips", clips}, {"frames_marked", r.frames_marked}, {"region_psnr_db", r.region_psnr_db},
                  {"attacks", rows}, {"wall_seconds", seconds}});
      return;
    }
    std::printf("clips %ld, frames marked %ld, the mark alone: PSNR %.1f dB over the marked regions\n\n", r.clips,
                r.frames_marked, r.region_psnr_db);
    std::printf("| attack | video bit rate vs the output's | marked seconds | detection rate | exact payloads | false positives (unmarked) |\n");
    std::printf("|---|---|---|---|---|---|\n");
    for (const auto& t : r.attacks)
      std::printf("| %s | %.2f | %ld | %.3f | %ld/%ld | %ld/%ld |\n", t.attack.c_str(), t.bit_rate_ratio, t.expected, t.rate(),
                  t.exact, t.found, t.false_positives, t.unmarked);
    std::printf("\nwall time %.1f s\n", seconds);
  });
}

}  // namespace

void register_watermark(CLI::App& app) {
  auto* wm = app.add_subcommand("watermark", "The keyed watermarks: embed, detect, the audio and video robustness suites");
  wm->require_subcommand(1);
  add_embed(wm);
  add_detect(wm);
  add_robustness(wm);
  add_video_robustness(wm);
}

}  // namespace dubkit::cli
