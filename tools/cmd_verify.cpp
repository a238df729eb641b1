// dubkit verify | log verify
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "provenance/crypto.hpp"
#include "provenance/manifest.hpp"
#include "provenance/render_log.hpp"
#include "provenance/video_watermark.hpp"
#include "provenance/watermark.hpp"
#include "tools/commands.hpp"
#include "video/video_reader.hpp"

namespace dubkit::cli {

namespace fs = std::filesystem;

namespace {

bool is_video(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char head[12] = {};
  f.read(head, 12);
  return std::string(head + 4, 4) == "ftyp";
}

// The sound of a WAV (or other audio file) or of a video's audio track, at 16 kHz.
Waveform sound_of(const std::string& path) { return is_video(path) ? read_audio_track(path, 16000) : read_mono(path); }

// What one found payload resolves to: in the manifest, and the consent the render log names.
void resolve_payload(nlohmann::ordered_json& j, std::uint32_t payload, const ManifestVerification& mv, const std::string& log,
                     const TrustStore& trust, std::vector<std::string>& consents) {
  j["payload"] = payload_hex(payload);
  if (mv.manifest) {
    const auto& p = mv.manifest->watermark_payloads;
    j["in_manifest"] = std::find(p.begin(), p.end(), payload) != p.end();
  }
  if (fs::is_regular_file(log))
    for (const RenderLogEntry& e : find_payload(log, payload, trust)) {
      j["render_log_consent"] = e.consent_id;
      if (std::find(consents.begin(), consents.end(), e.consent_id) == consents.end()) consents.push_back(e.consent_id);
    }
}

void register_file_verify(CLI::App& app) {
  struct Opts {
    std::string file, key = default_key_path(), trust = TrustStore::default_dir(), render_log = default_render_log();
    double max_false_positive = 1e-6;
    bool no_watermark = false, json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("verify", "Check a file's signed manifest and look for dubkit's watermark");
  cmd->add_option("file", o->file, "WAV or MP4 (the sidecar FILE.manifest.json is checked too when present)")->required();
  cmd->add_option("--key", o->key, "Studio key whose watermark is searched for ($DUBKIT_KEY)")->capture_default_str();
  cmd->add_option("--trust", o->trust, "Trust store ($DUBKIT_TRUST_DIR)")->capture_default_str();
  cmd->add_option("--render-log", o->render_log, "Render log that resolves payloads to consent records")->capture_default_str();
  cmd->add_option("--max-false-positive", o->max_false_positive, "A block counts as marked at or below this false-positive probability")
      ->capture_default_str();
  cmd->add_flag("--no-watermark", o->no_watermark, "Check the manifest only");
  cmd->add_flag("--json", o->json, "Print the result as JSON");
  cmd->footer("Exit status 1 when the file or its manifest was tampered with or signed by an untrusted key, else 0.\n"
              "No manifest and no mark found means: provenance unknown, never authentic.\n"
              "Example: dubkit verify line.wav --key studio.key --json");
  cmd->callback([o] {
    if (!fs::is_regular_file(o->file)) throw IoError(o->file + ": no such file");
    const TrustStore trust(o->trust);
    const ManifestVerification mv = verify_manifest(o->file, trust);
    nlohmann::ordered_json out = {{"file", o->file},
                                  {"manifest", {{"status", to_string(mv.status)}, {"detail", mv.detail}, {"signer", mv.signer}}}};
    if (mv.manifest) {
      const Manifest& m = *mv.manifest;
      nlohmann::ordered_json actions = nlohmann::ordered_json::array();
      for (const auto& a : m.actions) actions.push_back({{"action", a.action}, {"digital_source_type", a.digital_source_type}});
      out["manifest"]["instance_id"] = m.instance_id;
      out["manifest"]["consent_id"] = m.consent_id;
      out["manifest"]["consent_path"] = m.consent_path;
      out["manifest"]["actions"] = actions;
      out["manifest"]["watermark_blocks"] = m.watermark_payloads.size();
      nlohmann::ordered_json disclosures = nlohmann::ordered_json::array();
      for (const auto& x : m.disclosures) disclosures.push_back({{"territory", x.territory}, {"kind", x.kind}, {"applied", x.applied}});
      out["manifest"]["disclosures"] = disclosures;
      if (m.region)
        out["manifest"]["region"] = {{"frames", {m.region->first_frame, m.region->last_frame}},
                                     {"box", {m.region->x, m.region->y, m.region->width, m.region->height}}};
    }
    std::string mark_summary = "not searched (no --key)", frames_summary;
    const bool search = !o->no_watermark && fs::is_regular_file(o->key);
    if (search) {
      const SigningKey key = read_signing_key(o->key);
      const WatermarkDetection d = detect_watermark(sound_of(o->file), key.watermark, o->max_false_positive);
      nlohmann::ordered_json blocks = nlohmann::ordered_json::array();
      long found = 0;
      std::vector<std::string> consents;
      for (const WatermarkBlock& b : d.blocks) {
        nlohmann::ordered_json jb = {{"start_seconds", b.start_seconds}, {"seconds", b.seconds}, {"found", b.found},
                                     {"false_positive_probability", b.false_positive_probability}, {"score", b.score}};
        if (b.found) {
          ++found;
          resolve_payload(jb, b.payload, mv, o->render_log, trust, consents);
        } else {
          jb["verdict"] = "unknown";
        }
        blocks.push_back(jb);
      }
      mark_summary = found ? "found in " + std::to_string(found) + " of " + std::to_string(d.blocks.size()) + " block(s)"
                           : "no mark found in " + std::to_string(d.blocks.size()) + " block(s): unknown, not evidence of authenticity";
      out["watermark"] = {{"searched", true}, {"blocks_found", found}, {"blocks", blocks}, {"consents", consents}, {"summary", mark_summary}};
      if (is_video(o->file)) {
        nlohmann::ordered_json seconds = nlohmann::ordered_json::array();
        std::vector<std::string> frame_consents;
        long frames_found = 0;
        const auto marks = detect_video_watermark(o->file, key.watermark, o->max_false_positive);
        for (const VideoMarkSecond& s : marks) {
          nlohmann::ordered_json js = {{"second", s.second}, {"frames", s.frames}, {"found", s.found},
                                       {"false_positive_probability", s.false_positive_probability}, {"score", s.score}};
          if (s.found) {
            ++frames_found;
            resolve_payload(js, s.payload, mv, o->render_log, trust, frame_consents);
          } else {
            js["verdict"] = "unknown";
          }
          seconds.push_back(js);
        }
        frames_summary = frames_found ? "found in " + std::to_string(frames_found) + " of " + std::to_string(marks.size()) + " second(s)"
                                      : "no mark found in " + std::to_string(marks.size()) +
                                            " second(s): unknown, not evidence of authenticity";
        out["frames_watermark"] = {{"searched", true}, {"seconds_found", frames_found}, {"seconds", seconds},
                                   {"consents", frame_consents}, {"summary", frames_summary}};
      }
    } else {
      out["watermark"] = {{"searched", false}, {"summary", mark_summary}};
    }
    if (o->json) {
      print_json(out);
    } else {
      std::printf("%s\n  manifest:  %s: %s\n  watermark: %s\n", o->file.c_str(), to_string(mv.status), mv.detail.c_str(),
                  mark_summary.c_str());
      if (!frames_summary.empty()) std::printf("  frames:    %s\n", frames_summary.c_str());
    }
    if (mv.status == ManifestStatus::tampered || mv.status == ManifestStatus::untrusted)
      throw Error(o->file + ": manifest " + to_string(mv.status) + ": " + mv.detail);
  });
}

void register_log(CLI::App& app) {
  struct Opts {
    std::string render_log = default_render_log(), trust = TrustStore::default_dir();
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* log = app.add_subcommand("log", "The render log of every synthesis and render");
  log->require_subcommand(1);
  auto* cmd = log->add_subcommand(
      "verify", "Follow the render log's hash chain, each entry's signature and the signed head; exit 1 where it breaks");
  cmd->add_option("--render-log", o->render_log, "Render log ($DUBKIT_RENDER_LOG)")->capture_default_str();
  cmd->add_option("--trust", o->trust, "Trust store whose studio keys signed the entries ($DUBKIT_TRUST_DIR)")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the result as JSON");
  cmd->callback([o] {
    const RenderLogCheck c = verify_render_log(o->render_log, TrustStore(o->trust));
    if (o->json)
      print_json({{"render_log", o->render_log}, {"entries", c.entries}, {"intact", c.intact}, {"first_bad_line", c.first_bad_line},
                  {"problem", c.problem}});
    else if (c.intact)
      std::printf("%s: %ld entries, chain intact, every entry and the head signed by trusted studio keys\n",
                  o->render_log.c_str(), c.entries);
    if (!c.intact) throw Error(o->render_log + ":" + std::to_string(c.first_bad_line) + ": " + c.problem);
  });
}

}  // namespace

void register_verify(CLI::App& app) {
  register_file_verify(app);
  register_log(app);
}

}  // namespace dubkit::cli
