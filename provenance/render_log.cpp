#include "provenance/render_log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "provenance/consent.hpp"
#include "provenance/crypto.hpp"

namespace dubkit {

namespace {

const std::string kZeroHash(64, '0');

nlohmann::json to_json(const RenderLogEntry& e, bool with_hash) {
  nlohmann::json outs = nlohmann::json::array();
  for (const auto& o : e.outputs) outs.push_back({{"file", o.file}, {"sha256", o.sha256}});
  nlohmann::json payloads = nlohmann::json::array();
  for (std::uint32_t p : e.watermark_payloads) payloads.push_back(payload_hex(p));
  nlohmann::json j = {{"seq", e.seq},   {"time", e.time},       {"user", e.user}, {"action", e.action}, {"consent_id", e.consent_id},
                      {"outputs", outs}, {"watermark_payloads", payloads}, {"prev", e.prev}};
  if (with_hash) j["hash"] = e.hash;
  return j;
}

RenderLogEntry parse_entry(const std::string& line, long line_no, const std::string& path) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  auto bad = [&](const std::string& what) { return FormatError(path + ":" + std::to_string(line_no) + ": render log: " + what); };
  if (!j.is_object()) throw bad("not a JSON object");
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

}  // namespace

std::string default_render_log() {
  if (const char* p = std::getenv("DUBKIT_RENDER_LOG"); p && *p) return p;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/share/dubkit/render-log.jsonl";
}

RenderLogEntry append_render_log(const std::string& path, RenderLogEntry e) {
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
  e.hash = sha256_hex(to_json(e, false).dump());
  const std::string line = to_json(e, true).dump() + "\n";
  if (::write(lock.fd(), line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fsync(lock.fd()) != 0)
    throw IoError(path + ": cannot append to the render log");
  return e;
}

RenderLogCheck verify_render_log(const std::string& path) {
  RenderLogCheck c;
  std::string prev = kZeroHash;
  long line_no = 0;
  for (const std::string& line : lines_of(path)) {
    ++line_no;
    auto fail = [&](const std::string& why) {
      c.intact = false;
      c.first_bad_line = line_no;
      c.problem = why;
      return c;
    };
    RenderLogEntry e;
    try {
      e = parse_entry(line, line_no, path);
    } catch (const FormatError& x) {
      return fail(x.what());
    }
    if (to_json(e, true).dump() != line) return fail("the line is not in its canonical form (edited)");
    if (e.seq != line_no) return fail("sequence number " + std::to_string(e.seq) + " where " + std::to_string(line_no) + " was due");
    if (e.prev != prev) return fail("\"prev\" does not match the previous entry's hash (an entry was removed or changed)");
    if (sha256_hex(to_json(e, false).dump()) != e.hash) return fail("the entry's hash does not match its content");
    prev = e.hash;
    ++c.entries;
  }
  return c;
}

std::vector<RenderLogEntry> find_payload(const std::string& path, std::uint32_t payload) {
  std::vector<RenderLogEntry> out;
  long line_no = 0;
  for (const std::string& line : lines_of(path)) {
    RenderLogEntry e = parse_entry(line, ++line_no, path);
    if (std::find(e.watermark_payloads.begin(), e.watermark_payloads.end(), payload) != e.watermark_payloads.end())
      out.push_back(std::move(e));
  }
  return out;
}

}  // namespace dubkit
