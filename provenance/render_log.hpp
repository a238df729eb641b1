// The render log: an append-only, hash-chained, signed record of every synthesis and render,
// one JSON line per entry:
//   {"seq": 3, "time": "...Z", "user": "studio-op", "action": "say", "consent_id": "...",
//    "outputs": [{"file": "line1.wav", "sha256": "..."}], "watermark_payloads": ["9f3a01c2", ...],
//    "prev": "<hash of entry 2>", "hash": "<SHA-256 of this line's canonical JSON without "hash">",
//    "key_id": "<studio key>", "signature": "<Ed25519 over the canonical JSON without "signature">"}
// and beside it LOG.head, the signed head of the chain after the last append:
//   {"format": "dubkit-render-log-head", "version": 1, "seq": 3, "hash": "<entry 3's hash>",
//    "key_id", "signature"}
// Entry 1's "prev" is 64 zeros. Editing, removing or reordering an entry breaks the chain or an
// entry's signature; an entry forged at the end, or an edit with every later hash recomputed,
// has no signature by a trusted studio key; lines removed from the end leave the log shorter
// than its signed head (issue 22, item 12). What no file on the same disk can prove: the log
// and its head replaced together by older copies of both.
// The default log is $DUBKIT_RENDER_LOG, else $HOME/.local/share/dubkit/render-log.jsonl.
//
// Appends from several processes are serialised with an exclusive lock on the file (flock).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "provenance/crypto.hpp"
#include "provenance/trust_store.hpp"

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
  std::string key_id, signature;  // the studio key that appended it
};

std::string default_render_log();

// Sets seq, time (now, when empty), prev, hash, key_id and signature (by `key`), appends the
// entry and replaces the signed head. Creates the file and its folder. Throws IoError,
// FormatError when the last line does not parse.
RenderLogEntry append_render_log(const std::string& path, RenderLogEntry entry, const SigningKey& key);

// LOG.head
std::string render_log_head_path(const std::string& log);

struct RenderLogCheck {
  long entries = 0;
  bool intact = true;
  long first_bad_line = 0;  // 1-based, 0 when intact
  std::string problem;
};

// Re-hashes every line, follows the chain, checks each entry's signature by a key `trust` holds
// as a studio key, and the signed head: the log must end at the entry it names. Throws IoError
// when the file cannot be read.
RenderLogCheck verify_render_log(const std::string& path, const TrustStore& trust);

// Entries whose payload list holds `payload` (resolving a watermark to its consent record),
// among those signed by a trusted studio key: a forged entry resolves nothing.
std::vector<RenderLogEntry> find_payload(const std::string& path, std::uint32_t payload, const TrustStore& trust);

}  // namespace dubkit
