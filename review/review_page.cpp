#include "review/review_page.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <optional>
#include <sstream>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "dub/dub_report.hpp"
#include "provenance/manifest.hpp"
#include "provenance/trust_store.hpp"
#include "review/format.hpp"
#include "review/line_pictures.hpp"
#include "review/original_video.hpp"
#include "review/page_assets.hpp"
#include "review/sections.hpp"
#include "video/video_reader.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

// What the page is made from, found and read before anything is written.
struct ReviewInputs {
  std::string report_path;
  DubReport report;
  std::string original;
};

ReviewInputs read_inputs(const ReviewOptions& o) {
  if (!is_file(o.dubbed)) throw IoError(o.dubbed + ": no such file (the dubbed video)");
  ReviewInputs in;
  in.report_path = o.report.empty() ? o.dubbed + ".dub.json" : o.report;
  if (!is_file(in.report_path))
    throw IoError(in.report_path + ": no such file (the dub report" + std::string(o.report.empty() ? "; give it with --report" : "") + ")");
  in.report = read_dub_report(in.report_path);
  in.original = find_original_video(o.original, o.dubbed, in.report, in.report_path);
  return in;
}

// The dubbed sound at kReviewAudioRate; none (and `note` says so) for a video without a track.
std::optional<Waveform> read_dubbed_sound(const std::string& dubbed, std::string& note) {
  try {
    return read_audio_track(dubbed, kReviewAudioRate);
  } catch (const FormatError& e) {
    VideoReader check(dubbed, 1);  // a file that is no video at all throws here, naming it
    if (check.info().has_audio) throw;
    note = "The dubbed video has no audio track: no spectrograms or waveforms.";
    return std::nullopt;
  }
}

void copy_into(const std::string& from, const std::string& to, const std::vector<std::string>& inputs) {
  AtomicOutput out(to, inputs);
  std::error_code ec;
  fs::copy_file(from, out.temp_path(), fs::copy_options::overwrite_existing, ec);
  if (ec) throw IoError("cannot copy '" + from + "' to '" + to + "': " + ec.message());
  out.commit();
}

// The output folder with its lines/ folder and copies of both videos.
void prepare_folder(const fs::path& dir, const std::string& original, const std::string& dubbed,
                    const std::vector<std::string>& inputs) {
  std::error_code ec;
  fs::create_directories(dir / "lines", ec);
  if (ec) throw IoError("cannot create '" + (dir / "lines").string() + "': " + ec.message());
  copy_into(original, (dir / "original.mp4").string(), inputs);
  copy_into(dubbed, (dir / "dubbed.mp4").string(), inputs);
}

// The span the timelines and the seek bar cover: everything the report or the sound reaches.
double timeline_seconds(const DubReport& r, const std::optional<Waveform>& audio) {
  double t_max = 0;
  for (const double v : {r.video_seconds, r.output_seconds})
    if (std::isfinite(v)) t_max = std::max(t_max, v);
  if (audio) t_max = std::max(t_max, audio->seconds());
  for (const DubLine& l : r.lines) t_max = std::max(t_max, l.end);
  if (!r.window_seconds.empty()) t_max = std::max(t_max, *std::max_element(r.window_seconds.begin(), r.window_seconds.end()));
  return t_max > 0 ? t_max : 1;
}

// The document around the sections: head with the Content-Security-Policy, title line, footer
// and the page's one script.
std::string page_html(const ReviewOptions& o, const ReviewInputs& in, const ManifestVerification& mv,
                      const std::string& trust_dir, const std::optional<Waveform>& audio, const std::string& audio_note,
                      const std::vector<std::string>& pictures) {
  const DubReport& r = in.report;
  const double t_max = timeline_seconds(r, audio);
  const std::size_t report_payloads = std::accumulate(
      r.lines.begin(), r.lines.end(), std::size_t{0}, [](std::size_t n, const DubLine& l) { return n + l.watermark_payloads.size(); });
  const std::string dubbed_name = fs::path(o.dubbed).filename().string();
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' file:; "
       "media-src 'self' file:; style-src 'unsafe-inline'; script-src 'sha256-"
    << page_script_hash() << "'\">\n"
    << "<title>dubkit review: " << html_escape(dubbed_name) << "</title>\n<style>" << kPageStyle << "</style>\n</head>\n<body>\n";
  h << "<h1>Review: " << html_escape(dubbed_name) << "</h1>\n<p class=\"sub\">" << html_escape(o.dubbed)
    << (r.lang.empty() ? "" : " &middot; language " + html_escape(r.lang)) << " &middot; " << r.lines.size() << " line(s)"
    << " &middot; provenance <span class=\"status status-" << to_string(mv.status) << "\">" << to_string(mv.status)
    << "</span></p>\n";
  if (!audio_note.empty()) h << "<p class=\"note\">" << html_escape(audio_note) << "</p>\n";
  h << player_section(t_max) << timeline_section(r, audio, t_max) << line_table_section(r, pictures, audio)
    << provenance_section(mv, r, trust_dir, report_payloads) << summary_section(r, in.report_path, in.original);
  h << "<footer class=\"sub\">Written by dubkit review. Everything this page shows is in this folder.</footer>\n";
  h << "<script>" << kPageScript << "</script>\n</body>\n</html>\n";
  return h.str();
}

}  // namespace

void ReviewOptions::validate() const {
  if (dubbed.empty()) throw InvalidArgument("review: the dubbed video is not given");
  if (out_dir.empty()) throw InvalidArgument("review: the output folder (-o) is not given");
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec))
    throw InvalidArgument("review: -o " + out_dir + " exists and is not a folder");
}

ReviewResult write_review(const ReviewOptions& o) {
  o.validate();
  const ReviewInputs in = read_inputs(o);
  // Provenance first: it reads the dubbed file as given (with its sidecar), not the copy.
  const std::string trust_dir = o.trust_dir.empty() ? TrustStore::default_dir() : o.trust_dir;
  const ManifestVerification mv = verify_manifest(o.dubbed, TrustStore(trust_dir));
  std::string audio_note;
  const std::optional<Waveform> audio = read_dubbed_sound(o.dubbed, audio_note);

  const fs::path dir(o.out_dir);
  const std::vector<std::string> inputs{o.dubbed, in.original, in.report_path};
  prepare_folder(dir, in.original, o.dubbed, inputs);
  const std::vector<std::string> pictures = write_line_pictures(dir, in.report.lines, audio, inputs);

  ReviewResult result;
  result.index_html = (dir / "index.html").string();
  check_output_path(result.index_html, inputs);
  write_file_atomic(result.index_html, page_html(o, in, mv, trust_dir, audio, audio_note, pictures));
  result.lines = static_cast<int>(in.report.lines.size());
  result.provenance_status = to_string(mv.status);
  return result;
}

}  // namespace dubkit
