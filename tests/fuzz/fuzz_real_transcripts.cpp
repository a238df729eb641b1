// libFuzzer target: the transcript files of corpus real come from Debian packages, i.e. from
// outside; every parser must take any bytes without crashing, count what it cannot read, and
// return only entries that hold the promises of corpus/transcripts.hpp.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "corpus/transcripts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (auto parse : {dubkit::parse_festival_prompts, dubkit::parse_asterisk_prompts, dubkit::parse_fillets_dialogs,
                     dubkit::parse_tuxpaint_description, dubkit::parse_kde_sounds}) {
    const dubkit::Transcripts t = parse(text);
    if (t.malformed < 0) std::abort();
    for (const dubkit::TranscriptEntry& e : t.entries)
      if (e.key.empty() || e.key.size() > size || e.text.size() > size) std::abort();
  }
  return 0;
}
