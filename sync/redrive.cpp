#include "sync/redrive.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "audio/io.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "corpus/manifest.hpp"
#include "faces/face_tracks.hpp"
#include "lipsync/lipsync_video.hpp"
#include "sync/sync_score.hpp"
#include "talking_faces/talking_faces.hpp"
#include "talking_faces/visemes.hpp"

namespace fs = std::filesystem;

namespace dubkit {
namespace {

constexpr int kShiftFrames = 5;
constexpr int kMaxLag = 5;
constexpr double kPause = 0.5;  // seconds of silence between the two utterances of the new speech

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  if (n < 3) return 0;
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
  ma /= n, mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0;
}

// Mouth opening per frame (NaN where no face): inner-lip gap over brow-to-chin height, from
// the raw landmarks (the tracker's smoothing would add its own lag to the measure).
std::vector<double> mouth_opening(const VideoFaces& v) {
  std::vector<double> out;
  for (const FrameFaces& f : v.frames) {
    if (f.faces.empty()) {
      out.push_back(std::nan(""));
      continue;
    }
    const Landmarks& l = f.faces.front().raw;
    out.push_back(inner_lip_gap(l) / face_height(l));
  }
  return out;
}

// RMS of the speech over one frame period centred on each frame's time i / fps (the frame
// shows the mouth at that instant).
std::vector<double> envelope(const Waveform& w, double fps, std::size_t frames) {
  std::vector<double> out;
  for (std::size_t i = 0; i < frames; ++i) {
    const long a = std::lround((i - 0.5) / fps * w.rate), b = std::lround((i + 0.5) / fps * w.rate);
    double sum = 0;
    long n = 0;
    for (long k = std::max(0L, a); k < std::min<long>(b, w.samples.size()); ++k, ++n) sum += double(w.samples[k]) * w.samples[k];
    out.push_back(n > 0 ? std::sqrt(sum / n) : 0.0);
  }
  return out;
}

// Correlation of mouth[t] with envelope[t - lag] (lag > 0: the mouth follows the sound), over
// frames with a face while the speech lasts (after it the clip keeps its own mouth).
double lagged_corr(const std::vector<double>& mouth, const std::vector<double>& env, int lag) {
  std::vector<double> a, b;
  for (long t = 0; t < static_cast<long>(std::min(mouth.size(), env.size())); ++t) {
    const long s = t - lag;
    if (s < 0 || s >= static_cast<long>(env.size()) || std::isnan(mouth[t])) continue;
    a.push_back(mouth[t]);
    b.push_back(env[s]);
  }
  return pearson(a, b);
}

// Pauses of at least 200 ms: "_" phones and gaps between phones, plus the silence before the
// first and after the last phone; `trim` seconds removed at both ends.
std::vector<std::pair<double, double>> pauses(const CorpusUtterance& u, double trim) {
  std::vector<std::pair<double, double>> raw;
  double cursor = 0;
  for (const PhoneSpan& p : u.phones) {
    if (p.start > cursor) raw.emplace_back(cursor, p.start);
    if (p.phone == "_") raw.emplace_back(p.start, p.end);
    cursor = std::max(cursor, p.end);
  }
  if (u.duration > cursor) raw.emplace_back(cursor, u.duration);
  std::sort(raw.begin(), raw.end());
  std::vector<std::pair<double, double>> merged;
  for (const auto& r : raw) {
    if (!merged.empty() && r.first <= merged.back().second + 1e-6) merged.back().second = std::max(merged.back().second, r.second);
    else merged.push_back(r);
  }
  std::vector<std::pair<double, double>> out;
  for (const auto& [a, b] : merged)
    if (b - a >= 0.2) out.emplace_back(a + trim, b - trim);
  return out;
}

// Utterances (16 kHz) one after another with kPause seconds of silence between them, and the
// phone timing of the whole.
std::pair<Waveform, CorpusUtterance> join_with_pause(const std::string& corpus_dir,
                                                     const std::vector<const CorpusUtterance*>& parts) {
  Waveform out;
  out.rate = 16000;
  CorpusUtterance timing;
  for (const CorpusUtterance* u : parts) {
    if (!out.samples.empty()) out.samples.resize(out.samples.size() + static_cast<std::size_t>(kPause * out.rate), 0.0f);
    const double start = static_cast<double>(out.samples.size()) / out.rate;
    const Waveform w = resample(read_mono(corpus_dir + "/" + u->path), out.rate);
    out.samples.insert(out.samples.end(), w.samples.begin(), w.samples.end());
    for (PhoneSpan p : u->phones) {
      p.start += start, p.end += start;
      timing.phones.push_back(p);
    }
  }
  timing.duration = out.seconds();
  return {out, timing};
}

// Mouth opening from dlib landmarks on `video` against `speech` (16 kHz), whose phone timing
// gives the pauses: the envelope measures, the openings of the frames in pauses, and every
// frame's opening (NaN where no face).
MouthMeasures measure_mouth(const std::string& video, const Waveform& speech, const CorpusUtterance& timing,
                            std::vector<double>& pause_openings, std::vector<double>& openings) {
  const VideoFaces faces = track_video(video);
  openings = mouth_opening(faces);
  const std::vector<double> env = envelope(
      speech, faces.fps, std::min<std::size_t>(openings.size(), static_cast<std::size_t>(speech.seconds() * faces.fps)));
  MouthMeasures m;
  m.envelope_peak_corr = -2;
  for (int lag = -kMaxLag; lag <= kMaxLag; ++lag) {
    const double c = lagged_corr(openings, env, lag);
    if (lag == 0) m.envelope_corr_at_zero = c;
    if (c > m.envelope_peak_corr) m.envelope_peak_corr = c, m.envelope_peak_lag = lag;
  }
  pause_openings.clear();
  for (const auto& [a, b] : pauses(timing, 0.06))
    for (std::size_t t = 0; t < openings.size(); ++t) {
      const double time = faces.frames[t].pts;
      if (time < a || time > b || std::isnan(openings[t])) continue;
      pause_openings.push_back(openings[t]);
    }
  m.pause_frames = static_cast<long>(pause_openings.size());
  return m;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

LipSyncEvalReport evaluate_lipsync(const LipSyncEvalOptions& o, const std::function<void(int, int)>& progress) {
  if (o.clips < 1) throw InvalidArgument("sync redrive: --clips must be at least 1");
  fs::create_directories(o.out_dir);
  std::map<std::string, CorpusUtterance> utterances;
  for (CorpusUtterance& u : read_manifest(o.corpus_dir)) utterances.emplace(u.id, std::move(u));
  std::vector<FaceClip> clips;
  for (FaceClip& c : read_face_clips(o.faces_dir))
    if (c.split == o.split) clips.push_back(std::move(c));
  if (clips.size() < 2) throw InvalidArgument("sync redrive: " + o.faces_dir + " has fewer than 2 " + o.split + " clips");
  const int n = std::min<int>(o.clips, static_cast<int>(clips.size()));
  const std::unique_ptr<SyncJudge> expert = load_sync_judge(o.expert);
  LipSyncEvalReport rep;
  std::vector<std::vector<double>> pause_openings(n);
  std::vector<double> openings, drawn_closed, drawn_open;
  for (int k = 0; k < n; ++k) {
    const FaceClip& clip = clips[k];
    // The new speech: the utterances of the next two clips with a pause between them.
    std::vector<const CorpusUtterance*> parts;
    for (int d = 1; d <= 2; ++d) {
      const FaceClip& driver = clips[(k + d) % clips.size()];
      const auto u = utterances.find(driver.utterance);
      if (u == utterances.end())
        throw FormatError(o.faces_dir + ": clip " + driver.id + " names utterance " + driver.utterance + ", not in " + o.corpus_dir);
      parts.push_back(&u->second);
    }
    const auto [speech, timing] = join_with_pause(o.corpus_dir, parts);
    LipSyncEvalClip r;
    r.video = o.faces_dir + "/" + clip.video;
    r.speech = o.out_dir + "/" + clip.id + "_speech.wav";
    write_audio(r.speech, speech);
    LipSyncVideoOptions lo;
    lo.video = r.video;
    lo.audio = r.speech;
    lo.output = o.out_dir + "/" + clip.id + "_redriven.mp4";
    lo.model = o.model;
    lo.threads = o.threads;
    lo.silence_gate = o.silence_gate;
    lipsync_video(lo);

    const SyncScore out_score = score_sync(lo.output, *expert);
    r.offset = out_score.offset;
    r.confidence = out_score.confidence;
    r.confidence_at_zero = out_score.confidence_at_zero;
    SyncScoreOptions shifted;
    shifted.audio_shift = kShiftFrames / clip.fps;
    r.shifted_confidence_at_zero = score_sync(r.video, *expert, shifted).confidence_at_zero;

    r.redriven = measure_mouth(lo.output, speech, timing, pause_openings[k], openings);
    const auto own = utterances.find(clip.utterance);
    if (own == utterances.end())
      throw FormatError(o.faces_dir + ": clip " + clip.id + " names utterance " + clip.utterance + ", not in " + o.corpus_dir);
    std::vector<double> unused;
    r.original = measure_mouth(r.video, resample(read_mono(o.corpus_dir + "/" + own->second.path), 16000), own->second,
                               unused, openings);
    // The original's mouth is known frame by frame (it was rendered from these phones): what
    // dlib reads on mouths drawn closed calibrates "closed".
    std::vector<TimedPhone> phones;
    for (const PhoneSpan& p : own->second.phones) phones.push_back({p.phone, p.start, p.end});
    const std::vector<MouthShape> truth = mouth_track(phones, clip.fps, static_cast<int>(openings.size()));
    for (std::size_t t = 0; t < openings.size(); ++t) {
      if (std::isnan(openings[t])) continue;
      if (truth[t].open < 0.05 || truth[t].lip_contact > 0.5) drawn_closed.push_back(openings[t]);
      if (truth[t].open > 0.5 && truth[t].lip_contact < 0.5) drawn_open.push_back(openings[t]);
    }
    rep.offset_within_1 += std::abs(r.offset) <= 1;
    rep.confidence_at_zero += r.confidence_at_zero;
    rep.shifted_confidence_at_zero += r.shifted_confidence_at_zero;
    rep.envelope_lag_within_1 += std::abs(r.redriven.envelope_peak_lag) <= 1;
    rep.envelope_corr_at_zero += r.redriven.envelope_corr_at_zero;
    rep.original_envelope_corr_at_zero += r.original.envelope_corr_at_zero;
    rep.pause_frames += r.redriven.pause_frames;
    rep.clips.push_back(r);
    if (progress) progress(k + 1, n);
  }
  for (double* v : {&rep.offset_within_1, &rep.confidence_at_zero, &rep.shifted_confidence_at_zero, &rep.envelope_lag_within_1,
                    &rep.envelope_corr_at_zero, &rep.original_envelope_corr_at_zero})
    *v /= n;
  rep.calibration_closed_frames = static_cast<long>(drawn_closed.size());
  rep.calibration_open_frames = static_cast<long>(drawn_open.size());
  rep.closed_threshold = o.closed_gap > 0 ? o.closed_gap : percentile(drawn_closed, 0.95);
  if (!(rep.closed_threshold > 0))
    throw InvalidArgument("sync redrive: no frame of the original clips has a mouth drawn closed; set --closed-gap");
  long closed = 0;
  for (int k = 0; k < n; ++k) {
    for (double v : pause_openings[k]) rep.clips[k].redriven.pause_closed += v < rep.closed_threshold;
    closed += rep.clips[k].redriven.pause_closed;
  }
  rep.pause_closed = rep.pause_frames > 0 ? double(closed) / rep.pause_frames : 0;
  rep.open_read_as_closed = drawn_open.empty() ? 0
      : double(std::count_if(drawn_open.begin(), drawn_open.end(), [&](double v) { return v < rep.closed_threshold; })) /
            drawn_open.size();
  return rep;
}

}  // namespace dubkit
