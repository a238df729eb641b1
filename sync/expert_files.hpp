// The sync expert's weight files: the public lipsync_expert.pth (the public architecture, every
// tensor checked against it) or dubkit's safetensors with dubkit.model = "sync-expert"; the
// formats and their checks are lipsync/model_files.hpp's. A generator file is refused by name.
#pragma once

#include <map>
#include <string>

#include "sync/syncnet.hpp"

namespace dubkit {

// In eval mode. IoError when unreadable, FormatError when not a sync expert (names the file).
SyncNet load_sync_expert(const std::string& path);

// Writes weights (float16 with `half`) and config; `extra` metadata (steps, metrics) is kept.
void save_sync_expert(const std::string& path, const SyncNet& model, std::map<std::string, std::string> extra = {},
                      bool half = false);

}  // namespace dubkit
