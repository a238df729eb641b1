#include "review/sections.hpp"

#include <cmath>
#include <sstream>

#include "provenance/crypto.hpp"
#include "review/format.hpp"
#include "review/svg_plots.hpp"

namespace dubkit {
namespace {

std::string row(const std::string& key, const std::string& value_html) {
  return "<tr><th>" + html_escape(key) + "</th><td>" + value_html + "</td></tr>\n";
}

std::string or_dash(const std::string& escaped) { return escaped.empty() ? "&ndash;" : escaped; }

}  // namespace

std::string player_section(double t_max) {
  std::ostringstream h;
  h << "<section id=\"player\">\n<div class=\"videos\">\n"
    << "<figure><figcaption>Original</figcaption><video id=\"original\" src=\"original.mp4\" preload=\"auto\" controls "
       "muted playsinline></video></figure>\n"
    << "<figure><figcaption>Dubbed</figcaption><video id=\"dubbed\" src=\"dubbed.mp4\" preload=\"auto\" controls "
       "playsinline></video></figure>\n</div>\n"
    << "<div class=\"controls\"><button id=\"playpause\" type=\"button\">Play</button>"
    << "<input id=\"seek\" type=\"range\" min=\"0\" max=\"" << num(t_max, 3) << "\" step=\"0.01\" value=\"0\" aria-label=\"seek both\">"
    << "<span id=\"clock\">0:00.00</span></div>\n"
    << "<p class=\"sub\">Playing, pausing or seeking either video does the same to the other; the original starts muted. "
       "Click a line (or its span in the timeline) to go to it.</p>\n</section>\n";
  return h.str();
}

std::string timeline_section(const DubReport& r, const std::optional<Waveform>& audio, double t_max) {
  std::ostringstream h;
  h << "<section id=\"timeline\">\n<h2>Sync confidence</h2>\n" << sync_timeline_svg(r, t_max) << "\n";
  if (audio) h << "<h2>Waveform (dubbed)</h2>\n" << track_waveform_svg(*audio, r.lines, t_max) << "\n";
  h << "</section>\n";
  return h.str();
}

std::string line_table_section(const DubReport& r, const std::vector<std::string>& pictures, const std::optional<Waveform>& audio) {
  const std::string lang_attr = r.lang.empty() ? "" : " lang=\"" + html_escape(r.lang) + "\"";
  std::ostringstream h;
  h << "<section id=\"line-table\">\n<h2>Lines</h2>\n<table id=\"lines\">\n<thead><tr><th>#</th><th>start&ndash;end (s)</th>"
       "<th>slot (s)</th><th>text</th><th>natural / achieved (s)</th><th>stretch</th><th>fit</th><th>sync offset</th>"
       "<th>sync conf.</th><th>watermark payloads</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < r.lines.size(); ++i) {
    const DubLine& l = r.lines[i];
    const std::string fit_class =
        l.fit.empty() || l.fit == "fitted" || l.fit == "natural" ? "" : " class=\"fit-bad\"";
    std::string payloads;
    for (std::uint32_t p : l.watermark_payloads) payloads += (payloads.empty() ? "" : " ") + payload_hex(p);
    h << "<tr class=\"line\" id=\"line-" << l.index << "\" data-start=\"" << num(l.start, 3) << "\" data-end=\"" << num(l.end, 3)
      << "\"><td class=\"n\">" << l.index << "</td><td class=\"n\">" << num(l.start, 2) << "&ndash;" << num(l.end, 2)
      << "</td><td class=\"n\">" << num(l.slot_seconds(), 2) << "</td><td class=\"text\"" << lang_attr << ">" << html_escape(l.text)
      << "</td><td class=\"n\">" << or_dash(known(l.natural_seconds, 2)) << " / " << or_dash(known(l.achieved_seconds, 2))
      << "</td><td class=\"n\">" << or_dash(known(l.stretch, 3)) << "</td><td" << fit_class << ">" << or_dash(html_escape(l.fit))
      << "</td><td class=\"n\">" << or_dash(l.synced ? signed_int(l.sync_offset) + " fr" : "") << "</td><td class=\"n\">"
      << or_dash(known(l.sync_confidence, 2)) << "</td><td class=\"payloads\">" << or_dash(payloads) << "</td></tr>\n";
    h << "<tr class=\"line-media\"><td></td><td colspan=\"9\">";
    if (!pictures[i].empty())
      h << "<img class=\"line-mel\" src=\"" << html_escape(pictures[i]) << "\" alt=\"mel spectrogram of line " << l.index
        << "\">";
    else if (audio)
      h << "<span class=\"note\">no audio at this time in the dubbed video</span>";
    if (audio) h << line_waveform_svg(*audio, l.start, l.end);
    h << "</td></tr>\n";
  }
  h << "</tbody>\n</table>\n</section>\n";
  return h.str();
}

std::string provenance_section(const ManifestVerification& mv, const DubReport& r, const std::string& trust_dir,
                               std::size_t report_payloads) {
  std::ostringstream o;
  const std::string status = to_string(mv.status);
  o << "<section id=\"provenance\">\n<h2>Provenance</h2>\n<table class=\"kv\">\n";
  o << row("manifest", "<span class=\"status status-" + html_escape(status) + "\">" + html_escape(status) + "</span> " +
                           html_escape(mv.detail));
  o << row("signer", or_dash(html_escape(mv.signer)));
  o << row("trust store", "<span class=\"hash\">" + html_escape(trust_dir) + "</span>");
  const Manifest* m = mv.manifest ? &*mv.manifest : nullptr;
  std::string ids = html_escape(r.output_id.empty() ? std::string("(not in the report)") : r.output_id);
  if (m) {
    if (m->instance_id == r.output_id)
      ids += " (the manifest's too)";
    else
      ids += " <span class=\"note\">the manifest says " + html_escape(m->instance_id) + "</span>";
  }
  o << row("output id", ids);
  std::string consent = html_escape(r.voice.consent);
  if (m && !m->consent_id.empty() && m->consent_id != r.voice.consent)
    consent += (consent.empty() ? "" : " ") + std::string("<span class=\"note\">the manifest says ") +
               html_escape(m->consent_id) + "</span>";
  o << row("consent record", or_dash(consent));
  o << row("performer", or_dash(html_escape(r.voice.performer)));
  o << row("voice", or_dash(html_escape(r.voice.name)));
  o << row("studio", or_dash(html_escape(r.voice.studio)));
  std::string uses;
  for (const std::string& u : r.voice.uses) uses += (uses.empty() ? "" : ", ") + html_escape(u);
  o << row("uses", or_dash(uses));
  if (m) {
    if (!m->consent_path.empty()) o << row("consent path", html_escape(m->consent_path));
    std::string actions;
    for (const ManifestAction& a : m->actions)
      actions += "<li>" + html_escape(a.action) + (a.digital_source_type.empty() ? "" : " (" + html_escape(a.digital_source_type) + ")") +
                 (a.software_agent.empty() ? "" : ", " + html_escape(a.software_agent)) + "</li>";
    o << row("actions", actions.empty() ? "&ndash;" : "<ul>" + actions + "</ul>");
    std::string models;
    for (const ManifestModel& x : m->models)
      models += "<li>" + html_escape(x.name) + " <span class=\"hash\">sha256 " + html_escape(x.sha256) + "</span></li>";
    o << row("models", models.empty() ? "&ndash;" : "<ul class=\"models\">" + models + "</ul>");
    std::string ingredients;
    for (const ManifestIngredient& x : m->ingredients)
      ingredients += "<li>" + html_escape(x.title) + " (" + html_escape(x.role) + ") <span class=\"hash\">sha256 " +
                     html_escape(x.sha256) + "</span></li>";
    if (!ingredients.empty()) o << row("ingredients", "<ul>" + ingredients + "</ul>");
    std::string disclosures;
    for (const ManifestDisclosure& d : m->disclosures)
      disclosures += "<li>" + html_escape(d.kind) + ", " + html_escape(d.territory) + (d.applied ? "" : ": <b>removed</b>") + "</li>";
    if (!disclosures.empty()) o << row("disclosures", "<ul>" + disclosures + "</ul>");
    o << row("watermark payloads", std::to_string(m->watermark_payloads.size()) + " in the manifest, " +
                                       std::to_string(report_payloads) + " listed by the report's lines");
  } else {
    o << row("watermark payloads", std::to_string(report_payloads) + " listed by the report's lines (no manifest read)");
  }
  o << "</table>\n</section>\n";
  return o.str();
}

std::string summary_section(const DubReport& r, const std::string& report_path, const std::string& original) {
  std::ostringstream o;
  o << "<section id=\"summary\">\n<h2>Dub</h2>\n<table class=\"kv\">\n";
  o << row("report", "<span class=\"hash\">" + html_escape(report_path) + "</span>");
  o << row("source video", "<span class=\"hash\">" + html_escape(original) + "</span>");
  o << row("script", or_dash(html_escape(r.script)));
  o << row("language", or_dash(html_escape(r.lang)));
  o << row("frame rate", or_dash(known(r.fps, 3, " fps")));
  o << row("length", "video " + or_dash(known(r.video_seconds, 2, " s")) + ", output " + or_dash(known(r.output_seconds, 2, " s")));
  std::string audio;
  if (r.audio_rate > 0) audio += std::to_string(r.audio_rate) + " Hz; ";
  if (std::isfinite(r.mix.loudness_lufs)) audio += "loudness " + num(r.mix.loudness_lufs, 1) + " LUFS";
  if (std::isfinite(r.target_lufs)) audio += " (target " + num(r.target_lufs, 1) + ")";
  if (std::isfinite(r.mix.peak_dbfs)) audio += "; peak " + num(r.mix.peak_dbfs, 1) + " dBFS";
  if (!r.bed.empty()) audio += "; bed: " + html_escape(r.bed);
  o << row("audio", or_dash(audio));
  std::string sync;
  if (r.synced) sync += "offset " + signed_int(r.sync_offset) + " frame(s)";
  if (std::isfinite(r.sync_confidence)) sync += std::string(sync.empty() ? "" : ", ") + "confidence " + num(r.sync_confidence, 2);
  o << row("lip sync", or_dash(sync));
  std::string stages;
  for (const auto& [name, seconds] : r.stages)
    if (std::isfinite(seconds)) stages += (stages.empty() ? "" : ", ") + html_escape(name) + " " + num(seconds, 2) + " s";
  o << row("stage times", or_dash(stages));
  std::string skipped;
  for (const auto& [index, reason] : r.skipped) skipped += "<li>line " + std::to_string(index) + ": " + html_escape(reason) + "</li>";
  o << row("skipped lines", skipped.empty() ? "none" : "<ul>" + skipped + "</ul>");
  o << "</table>\n</section>\n";
  return o.str();
}

}  // namespace dubkit
