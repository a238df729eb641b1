#include "provenance/render_log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "provenance/consent.hpp"
#include "provenance/crypto.hpp"

namespace dubkit {

namespace {

const std::string kZeroHash(64, '0');

// What a part covers: the hash covers the entry without "hash", "key_id" and "signature"; the
// signature covers it with "hash" and "key_id".
enum class Part { hashed, signed_, whole };

nlohmann::json to_json(const RenderLogEntry& e, Part part) {
  nlohmann::json outs = nlohmann::json::array();
  for (const auto& o : e.outputs) outs.push_back({{"file", o.file}, {"sha256", o.sha256}});
  nlohmann::json payloads = nlohmann::json::array();
  for (std::uint32_t p : e.watermark_payloads) payloads.push_back(payload_hex(p));
  nlohmann::json j = {{"seq", e.seq},   {"time", e.time},       {"user", e.user}, {"action", e.action}, {"consent_id", e.consent_id},
                      {"outputs", outs}, {"watermark_payloads", payloads}, {"prev", e.prev}};
  if (part == Part::hashed) return j;
  j["hash"] = e.hash;
  j["key_id"] = e.key_id;
  if (part == Part::whole) j["signature"] = e.signature;
  return j;
}

struct Head {
  long seq = 0;
  std::string hash, key_id, signature;
};

nlohmann::json head_json(const Head& h, bool with_signature) {
  nlohmann::json j = {{"format", "dubkit-render-log-head"}, {"version", 1}, {"seq", h.seq}, {"hash", h.hash}, {"key_id", h.key_id}};
  if (with_signature) j["signature"] = h.signature;
  return j;
}

Head parse_head(const std::string& text, const std::string& path) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  auto bad = [&](const std::string& what) { return FormatError(path + ": render log head: " + what); };
  if (!j.is_object() || !j.contains("format") || j["format"] != "dubkit-render-log-head") throw bad("not a dubkit-render-log-head");
  if (!j.contains("version") || j["version"] != 1) throw bad("unsupported \"version\"");
  Head h;
  try {
    h.seq = j.at("seq").get<long>();
    h.hash = j.at("hash").get<std::string>();
    h.key_id = j.at("key_id").get<std::string>();
    h.signature = j.at("signature").get<std::string>();
  } catch (const nlohmann::json::exception& x) {
    throw bad(std::string("malformed: ") + x.what());
  }
  return h;
}

// Whether `signature` by `key_id` over `text` holds under a key `trust` holds as a studio key.
bool signed_by_trusted(const TrustStore& trust, const std::string& key_id, const std::string& text, const std::string& signature) {
  const NamedPublicKey* k = trust.find(key_id, KeyRole::Studio);
  return k && verify_message(k->key, text, signature);
}

RenderLogEntry parse_entry(const std::string& line, long line_no, const std::string& path) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  auto bad = [&](const std::string& what) { return FormatError(path + ":" + std::to_string(line_no) + ": render log: " + what); };
  if (!j.is_object()) throw bad("not a JSON object");
  if (!j.contains("signature"))
    throw bad("an entry without a signature (written before entries were signed): start a new log beside it");
  RenderLogEntry e;
  try {
    e.seq = j.at("seq").get<long>();
    e.time = j.at("time").get<std::string>();
    e.user = j.at("user").get<std::string>();
    e.action = j.at("action").get<std::string>();
    e.consent_id = j.at("consent_id").get<std::string>();
    for (const auto& o : j.at("outputs")) e.outputs.push_back({o.at("file").get<std::string>(), o.at("sha256").get<std::string>()});
    for (const auto& p : j.at("watermark_payloads")) e.watermark_payloads.push_back(payload_from_hex(p.get<std::string>(), "payload"));
    e.prev = j.at("prev").get<std::string>();
    e.hash = j.at("hash").get<std::string>();
    e.key_id = j.at("key_id").get<std::string>();
    e.signature = j.at("signature").get<std::string>();
  } catch (const nlohmann::json::exception& x) {
    throw bad(std::string("malformed entry: ") + x.what());
  }
  return e;
}

// The file's lines; the last one may lack its newline.
std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IoError(path + ": cannot open render log");
  std::vector<std::string> out;
  for (std::string line; std::getline(f, line);) out.push_back(line);
  return out;
}

class FileLock {
 public:
  explicit FileLock(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND, 0644)) {
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) {
      if (fd_ >= 0) ::close(fd_);
      throw IoError(path + ": cannot open and lock the render log");
    }
  }
  ~FileLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

bool entry_signed(const RenderLogEntry& e, const TrustStore& trust) {
  return signed_by_trusted(trust, e.key_id, to_json(e, Part::signed_).dump(), e.signature);
}

}  // namespace

std::string default_render_log() {
  if (const char* p = std::getenv("DUBKIT_RENDER_LOG"); p && *p) return p;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/share/dubkit/render-log.jsonl";
}

std::string render_log_head_path(const std::string& log) { return log + ".head"; }

RenderLogEntry append_render_log(const std::string& path, RenderLogEntry e, const SigningKey& key) {
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
  FileLock lock(path);
  const std::vector<std::string> lines = lines_of(path);
  if (lines.empty()) {
    e.seq = 1;
    e.prev = kZeroHash;
  } else {
    const RenderLogEntry last = parse_entry(lines.back(), static_cast<long>(lines.size()), path);
    e.seq = last.seq + 1;
    e.prev = last.hash;
  }
  if (e.time.empty()) e.time = now_utc();
  e.hash = sha256_hex(to_json(e, Part::hashed).dump());
  e.key_id = key.public_key.id();
  e.signature = sign_message(key, to_json(e, Part::signed_).dump());
  const std::string line = to_json(e, Part::whole).dump() + "\n";
  if (::write(lock.fd(), line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fsync(lock.fd()) != 0)
    throw IoError(path + ": cannot append to the render log");
  Head h{e.seq, e.hash, e.key_id, ""};
  h.signature = sign_message(key, head_json(h, false).dump());
  write_file_atomic(render_log_head_path(path), head_json(h, true).dump() + "\n");
  return e;
}

RenderLogCheck verify_render_log(const std::string& path, const TrustStore& trust) {
  RenderLogCheck c;
  std::string prev = kZeroHash;
  long line_no = 0;
  auto fail = [&](long line, const std::string& why) {
    c.intact = false;
    c.first_bad_line = line;
    c.problem = why;
    return c;
  };
  for (const std::string& line : lines_of(path)) {
    ++line_no;
    RenderLogEntry e;
    try {
      e = parse_entry(line, line_no, path);
    } catch (const FormatError& x) {
      return fail(line_no, x.what());
    }
    if (to_json(e, Part::whole).dump() != line) return fail(line_no, "the line is not in its canonical form (edited)");
    if (e.seq != line_no)
      return fail(line_no, "sequence number " + std::to_string(e.seq) + " where " + std::to_string(line_no) + " was due");
    if (e.prev != prev) return fail(line_no, "\"prev\" does not match the previous entry's hash (an entry was removed or changed)");
    if (sha256_hex(to_json(e, Part::hashed).dump()) != e.hash) return fail(line_no, "the entry's hash does not match its content");
    if (!entry_signed(e, trust))
      return fail(line_no, "the entry is not signed by a trusted studio key (key " + e.key_id + "): forged or edited");
    prev = e.hash;
    ++c.entries;
  }
  // The end of the chain against its signed head: lines removed from the end are seen here.
  const std::string head_path = render_log_head_path(path);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(head_path, ec)) {
    if (c.entries > 0) return fail(line_no + 1, "no signed head (" + head_path + "): whether lines were removed from the end cannot be told");
    return c;
  }
  Head h;
  try {
    h = parse_head(read_small_file(head_path, 1 << 12, "render log head"), head_path);
  } catch (const FormatError& x) {
    return fail(line_no + 1, x.what());
  }
  if (!signed_by_trusted(trust, h.key_id, head_json(h, false).dump(), h.signature))
    return fail(line_no + 1, "the head " + head_path + " is not signed by a trusted studio key");
  if (h.seq > c.entries)
    return fail(line_no + 1, "truncated: the signed head names entry " + std::to_string(h.seq) + " but the log ends at entry " +
                                 std::to_string(c.entries) + " (" + std::to_string(h.seq - c.entries) + " removed from the end)");
  if (h.seq < c.entries)
    return fail(h.seq + 1, "entries after the signed head (entry " + std::to_string(h.seq) + ") were not appended by dubkit");
  if (h.hash != prev) return fail(line_no, "the last entry is not the one the signed head names");
  return c;
}

std::vector<RenderLogEntry> find_payload(const std::string& path, std::uint32_t payload, const TrustStore& trust) {
  std::vector<RenderLogEntry> out;
  long line_no = 0;
  for (const std::string& line : lines_of(path)) {
    RenderLogEntry e = parse_entry(line, ++line_no, path);
    if (std::find(e.watermark_payloads.begin(), e.watermark_payloads.end(), payload) != e.watermark_payloads.end() &&
        sha256_hex(to_json(e, Part::hashed).dump()) == e.hash && entry_signed(e, trust))
      out.push_back(std::move(e));
  }
  return out;
}

}  // namespace dubkit
