// The talking-face corpus and the two lip-sync trainers on a tiny one: clips tracked and split
// by identity, exact resume of both trainers, the sync loss and the GAN loss wired in, and the
// re-driving evaluation. (That the expert learns sync, and the generator with it, takes
// thousands of steps on the full corpus: models/sync_expert.md, models/lipsync.md.)
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <opencv2/imgcodecs.hpp>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "lipsync/model_files.hpp"
#include "support.hpp"
#include "sync/expert_files.hpp"
#include "sync/redrive.hpp"
#include "talking_faces/talking_faces.hpp"
#include "train/lipsync_trainer.hpp"
#include "train/syncnet_trainer.hpp"
#include "train/tiny_corpus.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

namespace {

// 16 clips of the tiny audio corpus, 320x240, built once.
const std::string& tiny_faces() {
  static const std::string dir = [] {
    TalkingFacesOptions o;
    o.corpus_dir = test::tiny_corpus();
    o.out_dir = test::temp_dir("tiny_faces");
    o.clips = 16;
    o.identities = 10;
    o.width = 320;
    o.height = 240;
    build_talking_faces(o);
    return o.out_dir;
  }();
  return dir;
}

SyncNetTrainOptions syncnet_options(const std::string& out) {
  SyncNetTrainOptions o;
  o.faces_dir = tiny_faces();
  o.corpus_dir = test::tiny_corpus();
  o.out_dir = out;
  o.model.width = 0.125;
  o.batch = 8;
  o.warmup = 2;
  o.checkpoint_every = 2;
  o.validate_every = 2;
  o.threads = 1;
  return o;
}

LipSyncTrainOptions lipsync_options(const std::string& out, const std::string& expert) {
  LipSyncTrainOptions o;
  o.faces_dir = tiny_faces();
  o.corpus_dir = test::tiny_corpus();
  o.out_dir = out;
  o.expert = expert;
  o.model.width = 0.125;
  o.batch = 2;
  o.warmup = 2;
  o.sync_start = 1;
  o.gan_weight = 0.07;
  o.disc_width = 0.125;
  o.checkpoint_every = 2;
  o.validate_every = 2;
  o.threads = 1;
  return o;
}

void check_same_weights(const std::string& a_path, const std::string& b_path) {
  const SafetensorsFile a(a_path), b(b_path);
  for (const TensorView& t : a.tensors()) CHECK(t.to_float() == b.at(t.name).to_float());  // bit for bit
}

}  // namespace

TEST_CASE("corpus faces: tracked clips, crops, identities split like the speakers", "[train][lipsync][corpus]") {
  const auto clips = read_face_clips(tiny_faces());
  REQUIRE(clips.size() == 16);
  std::map<std::string, std::set<std::uint64_t>> identities;
  long frames = 0, tracked = 0;
  for (const FaceClip& c : clips) {
    identities[c.split].insert(c.identity);
    frames += static_cast<long>(c.times.size());
    tracked += std::count(c.valid.begin(), c.valid.end(), true);
    CHECK(c.times.front() == 0.0);
    CHECK(c.times[1] == Approx(0.04));
    const cv::Mat crops = cv::imread(tiny_faces() + "/" + c.crops);
    CHECK(crops.cols == 96);
    CHECK(crops.rows == 96 * static_cast<int>(c.times.size()));
    CHECK(fs::file_size(tiny_faces() + "/" + c.video) > 1000);
  }
  CHECK(tracked > 0.98 * frames);
  // No face is seen in two splits.
  for (const auto& [a, ids_a] : identities)
    for (const auto& [b, ids_b] : identities)
      if (a != b)
        for (auto id : ids_a) CHECK(ids_b.count(id) == 0);
  // Round trip of a manifest line.
  CHECK(to_json_line(parse_face_clip(to_json_line(clips[0]), "x")) == to_json_line(clips[0]));
  CHECK_THROWS_WITH(parse_face_clip(R"({"id": "a"})", "m.jsonl:3"), Catch::Contains("m.jsonl:3"));
}

TEST_CASE("train syncnet: exact resume and validation", "[train][lipsync]") {
  SyncNetTrainOptions o = syncnet_options(test::temp_dir("syncnet_straight"));
  o.steps = 4;
  const SyncNetTrainReport straight = train_syncnet(o);
  CHECK(straight.steps == 4);
  CHECK(std::isfinite(straight.val_loss));
  CHECK(straight.val_accuracy >= 0);
  CHECK(straight.val_accuracy <= 1);
  CHECK(fs::file_size(o.out_dir + "/loss.png") > 1000);
  CHECK_THROWS_AS(train_syncnet(o), InvalidArgument);  // a fresh run over old checkpoints

  SyncNetTrainOptions first = o;
  first.out_dir = test::temp_dir("syncnet_resumed");
  first.steps = 2;
  train_syncnet(first);
  SyncNetTrainOptions second = o;
  second.out_dir = first.out_dir;
  second.resume = true;
  CHECK(train_syncnet(second).final_loss == straight.final_loss);
  check_same_weights(o.out_dir + "/sync_expert.safetensors", first.out_dir + "/sync_expert.safetensors");
  CHECK(load_sync_expert(o.out_dir + "/sync_expert.safetensors")->config().embedding() == 64);
}

TEST_CASE("train lipsync: exact resume with sync and GAN losses, validation images", "[train][lipsync]") {
  SyncNetTrainOptions e = syncnet_options(test::temp_dir("lipsync_expert"));
  e.steps = 1;
  train_syncnet(e);
  const std::string expert = e.out_dir + "/sync_expert.safetensors";

  LipSyncTrainOptions o = lipsync_options(test::temp_dir("lipsync_straight"), expert);
  o.steps = 4;
  const LipSyncTrainReport straight = train_lipsync(o);
  CHECK(straight.steps == 4);
  CHECK(straight.val_sync > 0);
  CHECK(straight.val_l1 > 0);
  CHECK(fs::file_size(o.out_dir + "/val/step_0000004.png") > 1000);

  LipSyncTrainOptions first = o;
  first.out_dir = test::temp_dir("lipsync_resumed");
  first.steps = 2;
  train_lipsync(first);
  LipSyncTrainOptions other = o;
  other.out_dir = first.out_dir;
  other.resume = true;
  other.sync_weight = 0.1;
  CHECK_THROWS_WITH(train_lipsync(other), Catch::Contains("'sync_weight' was 0.03"));
  LipSyncTrainOptions second = o;
  second.out_dir = first.out_dir;
  second.resume = true;
  CHECK(train_lipsync(second).final_loss == straight.final_loss);
  check_same_weights(o.out_dir + "/lipsync.safetensors", first.out_dir + "/lipsync.safetensors");
  CHECK(load_lipsync_generator(o.out_dir + "/lipsync.safetensors")->config().width == 0.125);

  LipSyncTrainOptions no_expert = lipsync_options(test::temp_dir("lipsync_no_expert"), "");
  CHECK_THROWS_WITH(no_expert.validate(), Catch::Contains("--expert"));
  LipSyncTrainOptions big = lipsync_options(test::temp_dir("lipsync_128"), expert);
  big.model.face_size = 128;
  CHECK_THROWS_WITH(train_lipsync(big), Catch::Contains("96-pixel crops") && Catch::Contains("--face-size 128"));

  // `dubkit sync redrive` on the tiny models: the measurements are made, whatever their values.
  LipSyncEvalOptions ev;
  ev.faces_dir = tiny_faces();
  ev.corpus_dir = test::tiny_corpus();
  ev.model = o.out_dir + "/lipsync.safetensors";
  ev.expert = expert;
  ev.out_dir = test::temp_dir("lipsync_eval");
  ev.split = "train";
  ev.clips = 1;
  const LipSyncEvalReport r = evaluate_lipsync(ev);
  REQUIRE(r.clips.size() == 1);
  for (const LipSyncEvalClip& c : r.clips) {
    CHECK(fs::file_size(c.speech) > 1000);
    CHECK(std::abs(c.offset) <= 15);
    CHECK(std::abs(c.redriven.envelope_peak_lag) <= 5);
    CHECK(std::abs(c.redriven.envelope_corr_at_zero) <= 1);
    CHECK(c.redriven.pause_frames >= 8);  // the 0.5 s pause between the two utterances, less 2 x 60 ms
    CHECK(c.redriven.pause_closed <= c.redriven.pause_frames);
    // The rendered truth: the mouth follows its own speech.
    CHECK(c.original.envelope_peak_corr > 0.3);
  }
  CHECK(r.pause_frames == r.clips[0].redriven.pause_frames);
  CHECK(r.calibration_closed_frames > 0);
  CHECK(r.closed_threshold > 0);
  ev.clips = 0;
  CHECK_THROWS_AS(evaluate_lipsync(ev), InvalidArgument);
}
