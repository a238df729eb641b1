#include "sync/batch.hpp"

#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "sync/csv.hpp"

namespace fs = std::filesystem;

namespace dubkit {
namespace {

const std::vector<std::string> kColumns = {"file",  "status", "offset", "confidence", "confidence_at_zero",
                                           "lse_d", "lse_c",  "frames", "face_frames", "windows",
                                           "faces", "fps",    "model",  "seconds",    "error"};

std::string number(double v) {
  if (!std::isfinite(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// One line, no separators that would break the table (the CSV writer quotes the rest).
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

std::vector<std::string> score_row(const std::string& file, const std::string& path, SyncJudge& judge,
                                   const SyncScoreOptions& opts, const FaceDetector& detector,
                                   const LandmarkModel& landmarks) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string status = "ok", error;
  SyncScore s;
  try {
    s = score_sync(path, judge, opts, detector, landmarks);
  } catch (const SyncUnscorable& e) {
    status = failure_name(e.why), error = e.what();
  } catch (const IoError& e) {
    status = "unreadable", error = e.what();
  } catch (const FormatError& e) {
    status = "unreadable", error = e.what();
  } catch (const std::exception& e) {
    status = "error", error = e.what();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const bool ok = status == "ok";
  auto num = [&](double v) { return ok ? number(v) : std::string(); };
  return {file,
          status,
          ok ? std::to_string(s.offset) : "",
          num(s.confidence),
          num(s.confidence_at_zero),
          num(s.min_distance),
          num(s.confidence),
          ok ? std::to_string(s.frames) : "",
          ok ? std::to_string(s.face_frames) : "",
          ok ? std::to_string(s.windows) : "",
          ok ? std::to_string(s.faces) : "",
          num(s.fps),
          judge.name(),
          number(secs),
          one_line(error)};
}

}  // namespace

void SyncBatchOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("sync batch: " + what);
  };
  need(!list.empty(), "a list file is required");
  need(!output.empty(), "-o is required");
  need(jobs >= 1 && jobs <= 64, "--jobs must be in 1..64");
  need(score.audio.empty() && score.audio_shift == 0, "per-file audio is not supported in a batch");
  need(score.max_offset >= 0 && score.max_offset <= 100, "--max-offset must be in 0..100");
}

std::vector<std::pair<std::string, std::string>> read_video_list(const std::string& list) {
  std::ifstream in(list);
  if (!in) throw IoError(list + ": cannot open the list");
  const fs::path base = fs::path(list).parent_path();
  std::vector<std::pair<std::string, std::string>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    line = line.substr(first, line.find_last_not_of(" \t") - first + 1);
    const fs::path p(line);
    out.emplace_back(line, (p.is_absolute() ? p : base / p).string());
  }
  return out;
}

SyncBatchReport run_sync_batch(const SyncBatchOptions& o, const std::function<void(long, long)>& progress) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  const auto entries = read_video_list(o.list);
  SyncBatchReport rep;
  rep.files = static_cast<long>(entries.size());

  // Resume: the files already in the output are done, whatever their status.
  std::set<std::string> done;
  bool fresh = !fs::exists(o.output) || fs::file_size(o.output) == 0;
  std::string kept;  // the existing rows that survive (a row cut short is dropped)
  if (!fresh) {
    const CsvTable t = read_csv(o.output, true);
    if (t.columns != kColumns)
      throw FormatError(o.output + ": exists but is not a `sync batch` results table (its header differs); "
                        "give another -o or remove it");
    kept = csv_row(kColumns);
    for (const auto& row : t.rows) {
      done.insert(row[0]);
      kept += csv_row(row);
    }
  }
  std::vector<std::size_t> todo;
  std::set<std::string> queued;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (done.count(entries[i].first) || !queued.insert(entries[i].first).second) {
      ++rep.skipped;
      continue;
    }
    todo.push_back(i);
  }
  // Rewritten whole first (dropping a cut row; atomically, so no row already scored can be
  // lost), then appended to.
  write_file_atomic(o.output, fresh ? csv_row(kColumns) : kept);
  std::ofstream out(o.output, std::ios::binary | std::ios::app);
  if (!out) throw IoError(o.output + ": cannot append");
  if (todo.empty()) return rep;

  const std::unique_ptr<SyncJudge> judge = load_sync_judge(o.expert);
  const LandmarkModel landmarks;
  const int jobs = std::min<int>(o.jobs, static_cast<int>(todo.size()));
  // Files in parallel share the cores; each one's expert then runs on one LibTorch thread.
  const int threads_before = torch::get_num_threads();
  if (jobs > 1) torch::set_num_threads(1);
  std::atomic<std::size_t> next{0};
  std::mutex write_mutex;
  long written = 0;
  std::exception_ptr failure;
  auto worker = [&] {
    try {
      const FaceDetector detector;  // one per thread: a shared one would make detections take turns
      for (std::size_t k; (k = next++) < todo.size();) {
        const auto& [file, path] = entries[todo[k]];
        const std::vector<std::string> row = score_row(file, path, *judge, o.score, detector, landmarks);
        std::lock_guard lock(write_mutex);
        out << csv_row(row);
        out.flush();
        if (!out) throw IoError(o.output + ": cannot append");
        (row[1] == "ok" ? rep.scored : rep.failed)++;
        if (progress) progress(++written, static_cast<long>(todo.size()));
      }
    } catch (...) {
      std::lock_guard lock(write_mutex);
      if (!failure) failure = std::current_exception();
      next = todo.size();  // the others stop after their current file
    }
  };
  std::vector<std::thread> pool;
  for (int j = 0; j < jobs; ++j) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
  torch::set_num_threads(threads_before);
  if (failure) std::rethrow_exception(failure);
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace dubkit
