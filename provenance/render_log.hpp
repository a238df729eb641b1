// The render log: an append-only, hash-chained record of every synthesis and render, one JSON
// line per entry:
//   {"seq": 3, "time": "...Z", "user": "studio-op", "action": "say", "consent_id": "...",
//    "outputs": [{"file": "line1.wav", "sha256": "..."}], "watermark_payloads": ["9f3a01c2", ...],
//    "prev": "<hash of entry 2>", "hash": "<SHA-256 of this line's canonical JSON without "hash">"}
// Entry 1's "prev" is 64 zeros. Editing, removing or reordering any entry breaks the chain from
// there on; appending a forged entry at the end needs only SHA-256, so the log is evidence of
// order and completeness, not of authorship (outputs carry signed manifests for that).
// The default log is $DUBKIT_RENDER_LOG, else $HOME/.local/share/dubkit/render-log.jsonl.
//
// Appends from several processes are serialised with an exclusive lock on the file (flock).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dubkit {

struct RenderLogOutput {
  std::string file, sha256;
};

struct RenderLogEntry {
  long seq = 0;
  std::string time, user, action, consent_id;
  std::vector<RenderLogOutput> outputs;
  std::vector<std::uint32_t> watermark_payloads;
  std::string prev, hash;
};

std::string default_render_log();

// Sets seq, time (now, when empty), prev and hash, and appends the entry. Creates the file and
// its folder. Throws IoError, FormatError when the last line does not parse.
RenderLogEntry append_render_log(const std::string& path, RenderLogEntry entry);

struct RenderLogCheck {
  long entries = 0;
  bool intact = true;
  long first_bad_line = 0;  // 1-based, 0 when intact
  std::string problem;
};

// Re-hashes every line and follows the chain. Throws IoError when the file cannot be read.
RenderLogCheck verify_render_log(const std::string& path);

// Entries whose payload list holds `payload` (resolving a watermark to its consent record).
std::vector<RenderLogEntry> find_payload(const std::string& path, std::uint32_t payload);

}  // namespace dubkit
