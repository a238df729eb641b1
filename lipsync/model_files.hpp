// Lip-sync weight files: the generator and the sync expert, public or dubkit's own.
//   *.pth / *.pt   a public Wav2Lip checkpoint (wav2lip.pth, wav2lip_gan.pth, lipsync_expert.pth:
//                  {'state_dict': ...} with "module." prefixes); the public architecture
//                  (face 96, width 1) is assumed and every tensor checked against it.
//   *.safetensors  dubkit's: metadata dubkit.model = "lipsync-generator" or "sync-expert",
//                  dubkit.config = the network's config JSON.
// Every loader checks each tensor's name and shape and names the file in its FormatError; a
// generator file given where an expert is expected (or the reverse) is refused by name.
#pragma once

#include <map>
#include <string>

#include "lipsync/syncnet.hpp"
#include "lipsync/wav2lip.hpp"

namespace dubkit {

// In eval mode. IoError when unreadable, FormatError when not a generator (names the file).
Wav2Lip load_lipsync_generator(const std::string& path);
SyncNet load_sync_expert(const std::string& path);

// Writes weights (float16 with `half`) and config; `extra` metadata (steps, metrics) is kept.
void save_lipsync_generator(const std::string& path, const Wav2Lip& model, std::map<std::string, std::string> extra = {},
                            bool half = false);
void save_sync_expert(const std::string& path, const SyncNet& model, std::map<std::string, std::string> extra = {},
                      bool half = false);

}  // namespace dubkit
