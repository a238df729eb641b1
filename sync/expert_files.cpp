#include "sync/expert_files.hpp"

#include <utility>

#include "lipsync/model_files.hpp"

namespace dubkit {

SyncNet load_sync_expert(const std::string& path) {
  return load_lipsync_file<SyncNet, SyncNetConfig>(path, "sync-expert");
}

void save_sync_expert(const std::string& path, const SyncNet& model, std::map<std::string, std::string> extra,
                      bool half) {
  write_lipsync_file(path, *model, "sync-expert", model->config().to_json(), std::move(extra), half);
}

}  // namespace dubkit
