#include "corpus/engines.hpp"

#include <espeak-ng/speak_lib.h>
#include <flite/flite.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "core/error.hpp"
#include "text/espeak_engine.hpp"
#include "text/phonemizer.hpp"

extern "C" {
cst_voice* register_cmu_us_slt(const char* voxdir);
cst_voice* register_cmu_us_awb(const char* voxdir);
cst_voice* register_cmu_us_rms(const char* voxdir);
cst_voice* register_cmu_us_kal16(const char* voxdir);
}

namespace dubkit {

namespace {

// espeak-ng voice variants that sound like a person (robotic, whisper and croak ones left
// out); each is combined with each language's base voice.
const char* const kEspeakVariants[] = {"m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
                                       "klatt", "klatt2", "klatt3", "Andy", "Annie", "Michael", "david", "edward",
                                       "linda", "paul", "steph", "aunty", "grandpa", "max", "norbert", "quincy"};


// flite's voices register once per process and are never freed (flite keeps them global).
class Flite {
 public:
  static Flite& instance() {
    static Flite f;
    return f;
  }
  cst_voice* voice(const std::string& name) {
    const auto it = voices_.find(name);
    if (it == voices_.end()) throw InvalidArgument("flite has no voice '" + name + "'");
    return it->second;
  }

 private:
  Flite() {
    flite_init();
    voices_ = {{"slt", register_cmu_us_slt(nullptr)},
               {"awb", register_cmu_us_awb(nullptr)},
               {"rms", register_cmu_us_rms(nullptr)},
               {"kal16", register_cmu_us_kal16(nullptr)}};
  }
  std::map<std::string, cst_voice*> voices_;
};

struct UttDeleter {
  void operator()(cst_utterance* u) const { delete_utterance(u); }
};

SpokenUtterance speak_flite(const BaseVoice& voice, const std::string& text) {
  Flite& flite = Flite::instance();
  std::unique_ptr<cst_utterance, UttDeleter> utt(flite_synth_text(text.c_str(), flite.voice(voice.name)));
  if (!utt) throw Error("flite failed on '" + text + "'");
  const cst_wave* w = utt_wave(utt.get());
  if (!w || cst_wave_num_samples(w) <= 0) throw Error("flite produced no audio for '" + text + "'");
  SpokenUtterance out;
  out.wave.rate = cst_wave_sample_rate(w);
  const short* s = cst_wave_samples(w);
  out.wave.samples.reserve(cst_wave_num_samples(w));
  for (int i = 0; i < cst_wave_num_samples(w); ++i) out.wave.samples.push_back(s[i] / 32768.0f);
  // The diphone voice's last segment can end after the samples do: times are clipped to the audio.
  const double total = out.wave.seconds();
  double start = 0;
  for (const cst_item* seg = relation_head(utt_relation(utt.get(), "Segment")); seg; seg = item_next(seg)) {
    const double end = std::min<double>(total, item_feat_float(seg, "end"));
    if (end > start) out.phones.push_back({flite_phone_to_ipa(item_feat_string(seg, "name")), start, end});
    start = std::max(start, end);
  }
  if (out.phones.empty()) throw Error("flite reported no phones for '" + text + "'");
  out.phones.back().end = total;
  return out;
}

struct EspeakCapture {
  std::vector<float> samples;
  std::vector<std::pair<std::string, int>> phone_starts;  // IPA, milliseconds
};

// Where the callback writes; set only while the espeak-ng lock is held.
EspeakCapture* g_capture = nullptr;

int espeak_callback(short* wav, int n, espeak_EVENT* events) {
  EspeakCapture* cap = g_capture;
  for (int i = 0; i < n; ++i) cap->samples.push_back(wav[i] / 32768.0f);
  for (espeak_EVENT* e = events; e->type != espeakEVENT_LIST_TERMINATED; ++e) {
    if (e->type != espeakEVENT_PHONEME) continue;
    std::string name(e->id.string, strnlen(e->id.string, sizeof(e->id.string)));
    cap->phone_starts.emplace_back(name, e->audio_position);
  }
  return 0;
}

// Runs espeak-ng's synthesis in the calling process.
EspeakCapture synthesise_espeak(const BaseVoice& voice, const std::string& text) {
  if (espeak_SetVoiceByName(voice.name.c_str()) != EE_OK)
    throw InvalidArgument("espeak-ng has no voice '" + voice.name + "'");
  EspeakCapture cap;
  g_capture = &cap;
  espeak_SetSynthCallback(espeak_callback);
  const espeak_ERROR err = espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, nullptr);
  espeak_SetSynthCallback(nullptr);
  g_capture = nullptr;
  if (err != EE_OK || cap.samples.empty()) throw Error("espeak-ng produced no audio for '" + text + "'");
  return cap;
}

bool write_all(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// espeak-ng's wave generator keeps state from one synthesis to the next (phases, flutter,
// the Klatt noise history) and cannot be restarted in a process (espeak_Terminate hangs on a
// second initialisation). So each synthesis runs in a forked child that starts from the
// parent's state, in which espeak-ng has never synthesised: the audio is then a function of
// (voice, text, seed) only. The child sends back [n_samples, n_phones, samples, phones].
EspeakCapture synthesise_espeak_isolated(const BaseVoice& voice, const std::string& text, unsigned seed) {
  // The voice is selected in the parent too, so the state a child starts from depends on the
  // voice alone, not on what the phonemizer selected last.
  if (espeak_SetVoiceByName(voice.name.c_str()) != EE_OK)
    throw InvalidArgument("espeak-ng has no voice '" + voice.name + "'");
  int fds[2];
  if (::pipe(fds) != 0) throw Error("espeak-ng: cannot create a pipe");
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw Error("espeak-ng: cannot fork");
  }
  if (pid == 0) {
    ::close(fds[0]);
    int status = 1;
    try {
      // A first synthesis after phonemization in the parent may report its first phonemes
      // unnamed; one throw-away synthesis brings every child to the same state.
      synthesise_espeak(voice, "a.");
      std::srand(seed);
      const EspeakCapture cap = synthesise_espeak(voice, text);
      const std::uint64_t n[2] = {cap.samples.size(), cap.phone_starts.size()};
      bool ok = write_all(fds[1], n, sizeof(n)) && write_all(fds[1], cap.samples.data(), cap.samples.size() * sizeof(float));
      for (const auto& [name, ms] : cap.phone_starts) {
        char rec[12] = {};
        std::memcpy(rec, name.data(), std::min<std::size_t>(8, name.size()));
        std::memcpy(rec + 8, &ms, sizeof(int));
        ok = ok && write_all(fds[1], rec, sizeof(rec));
      }
      status = ok ? 0 : 1;
    } catch (...) {
    }
    ::_exit(status);  // no destructors, no atexit: the parent owns all of it
  }
  ::close(fds[1]);
  std::vector<char> bytes;
  char buf[65536];
  for (ssize_t r; (r = ::read(fds[0], buf, sizeof(buf))) != 0;) {
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    bytes.insert(bytes.end(), buf, buf + r);
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::uint64_t n[2] = {};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || bytes.size() < sizeof(n))
    throw Error("espeak-ng failed on '" + text + "' with voice '" + voice.name + "'");
  std::memcpy(n, bytes.data(), sizeof(n));
  if (bytes.size() != sizeof(n) + n[0] * sizeof(float) + n[1] * 12)
    throw Error("espeak-ng: short result for '" + text + "'");
  EspeakCapture cap;
  cap.samples.resize(n[0]);
  std::memcpy(cap.samples.data(), bytes.data() + sizeof(n), n[0] * sizeof(float));
  const char* rec = bytes.data() + sizeof(n) + n[0] * sizeof(float);
  for (std::uint64_t i = 0; i < n[1]; ++i, rec += 12) {
    int ms = 0;
    std::memcpy(&ms, rec + 8, sizeof(int));
    cap.phone_starts.emplace_back(std::string(rec, strnlen(rec, 8)), ms);
  }
  return cap;
}

SpokenUtterance speak_espeak(const BaseVoice& voice, const std::string& text, unsigned seed) {
  EspeakEngine& engine = EspeakEngine::instance();
  // A child forked while another thread held some library lock can fail (seen once in a few
  // thousand calls, never twice in a row); every attempt starts from the same state, so a
  // retry gives the same result as a first success would.
  EspeakCapture cap;
  for (int attempt = 1;; ++attempt) {
    try {
      cap = synthesise_espeak_isolated(voice, text, seed);
      break;
    } catch (const InvalidArgument&) {
      throw;
    } catch (const Error&) {
      if (attempt == 3) throw;
    }
  }
  SpokenUtterance out;
  out.wave.rate = engine.sample_rate();
  out.wave.samples = std::move(cap.samples);
  const double total = double(out.wave.samples.size()) / out.wave.rate;
  // espeak-ng reports where each phoneme starts; it ends where the next one starts. Its
  // empty-named events mark pauses.
  for (std::size_t i = 0; i < cap.phone_starts.size(); ++i) {
    const double start = std::min(total, cap.phone_starts[i].second / 1000.0);
    const double end = i + 1 < cap.phone_starts.size() ? std::min(total, cap.phone_starts[i + 1].second / 1000.0) : total;
    std::string p = cap.phone_starts[i].first;
    if (p.empty() || p == " ") p = "_";
    if (end <= start) continue;
    if (!out.phones.empty() && out.phones.back().phone == "_" && p == "_") out.phones.back().end = end;
    else out.phones.push_back({p, start, end});
  }
  if (out.phones.empty()) throw Error("espeak-ng reported no phonemes for '" + text + "'");
  if (out.phones.front().start > 0) out.phones.insert(out.phones.begin(), {"_", 0.0, out.phones.front().start});
  return out;
}

}  // namespace

std::vector<BaseVoice> base_voices(const std::vector<std::string>& langs) {
  std::vector<BaseVoice> out;
  for (const std::string& lang : langs) {
    if (lang == "en")
      for (const char* v : {"slt", "awb", "rms", "kal16"}) out.push_back({std::string("flite-") + v, "flite", v, "en"});
    for (const char* variant : kEspeakVariants)
      out.push_back({"espeak-" + lang + "-" + variant, "espeak", espeak_language(lang) + "+" + variant, lang});
  }
  return out;
}

SpokenUtterance speak(const BaseVoice& voice, const std::string& text, unsigned seed) {
  // Both engines draw noise from the C library's rand(), and espeak-ng's phonemizer shares
  // its state: one lock over all of them, and a seed per utterance, make the audio a function
  // of (voice, text, seed) alone, whatever other threads do.
  EspeakEngine& espeak = EspeakEngine::instance();
  std::lock_guard<std::mutex> lock(espeak.mutex());
  std::srand(seed);
  if (voice.engine == "flite") return speak_flite(voice, text);
  if (voice.engine == "espeak") return speak_espeak(voice, text, seed);
  throw InvalidArgument("unknown speech engine '" + voice.engine + "'");
}

std::string flite_phone_to_ipa(const std::string& phone) {
  static const std::map<std::string, std::string> table = {
      {"pau", "_"},  {"aa", "ɑ"},  {"ae", "æ"},  {"ah", "ʌ"},  {"ao", "ɔ"},  {"aw", "aʊ"}, {"ax", "ə"},
      {"axr", "ɚ"},  {"ay", "aɪ"}, {"b", "b"},   {"ch", "tʃ"}, {"d", "d"},   {"dh", "ð"},  {"dx", "ɾ"},
      {"eh", "ɛ"},   {"el", "əl"}, {"em", "əm"}, {"en", "ən"}, {"er", "ɝ"},  {"ey", "eɪ"}, {"f", "f"},
      {"g", "ɡ"},    {"hh", "h"},  {"ih", "ɪ"},  {"ix", "ɨ"},  {"iy", "i"},  {"jh", "dʒ"}, {"k", "k"},
      {"l", "l"},    {"m", "m"},   {"n", "n"},   {"ng", "ŋ"},  {"nx", "ɾ̃"}, {"ow", "oʊ"}, {"oy", "ɔɪ"},
      {"p", "p"},    {"r", "ɹ"},   {"s", "s"},   {"sh", "ʃ"},  {"t", "t"},   {"th", "θ"},  {"uh", "ʊ"},
      {"uw", "u"},   {"v", "v"},   {"w", "w"},   {"y", "j"},   {"z", "z"},   {"zh", "ʒ"}};
  const auto it = table.find(phone);
  if (it == table.end()) throw InvalidArgument("flite phone '" + phone + "' is not in the US English phone set");
  return it->second;
}

}  // namespace dubkit
