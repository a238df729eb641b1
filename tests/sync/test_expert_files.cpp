// The sync expert's weight files, and that neither kind of lip-sync file loads as the other.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "lipsync/model_files.hpp"
#include "support.hpp"
#include "sync/expert_files.hpp"

using namespace dubkit;

TEST_CASE("sync expert files round-trip, a generator file is not an expert, nor the reverse", "[sync]") {
  const std::string dir = test::temp_dir("expert_files");
  SyncNetConfig sc;
  sc.width = 0.25;
  save_sync_expert(dir + "/s.safetensors", SyncNet(sc));
  CHECK(load_sync_expert(dir + "/s.safetensors")->config().embedding() == 128);

  LipSyncConfig gc;
  gc.width = 0.125;
  save_lipsync_generator(dir + "/g.safetensors", Wav2Lip(gc));
  CHECK_THROWS_WITH(load_sync_expert(dir + "/g.safetensors"), Catch::Contains("g.safetensors") && Catch::Contains("sync-expert"));
  CHECK_THROWS_WITH(load_lipsync_generator(dir + "/s.safetensors"), Catch::Contains("lipsync-generator"));
  CHECK_THROWS_AS(load_sync_expert(dir + "/missing.safetensors"), IoError);
}
