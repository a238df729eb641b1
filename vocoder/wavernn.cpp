#include "vocoder/wavernn.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"

namespace dubkit {

namespace F = torch::nn::functional;

// ---------------------------------------------------------------------------------------------
// Config

void WaveRNNConfig::validate() const {
  auto need = [](bool ok, const std::string& field, double v) {
    if (!ok) throw InvalidArgument("WaveRNN config: " + field + " = " + std::to_string(v) + " is out of range");
  };
  // Upper bounds keep a hostile file's config from allocating absurd tensors before any weight
  // shape is checked.
  constexpr int kMax = 8192;
  for (auto [name, v] : {std::pair<const char*, int>{"rnn_dims", rnn_dims}, {"fc_dims", fc_dims},
                         {"feat_dims", feat_dims}, {"compute_dims", compute_dims}, {"hop_length", hop_length}})
    need(v >= 1 && v <= kMax, name, v);
  need(bits >= 1 && bits <= 16, "bits", bits);
  // The public crop m[:, :, indent:-indent] is empty when indent (pad * hop) is 0.
  need(pad >= 1 && pad <= 64, "pad (>= 1)", pad);
  need(res_out_dims >= 4 && res_out_dims <= kMax && res_out_dims % 4 == 0, "res_out_dims (a multiple of 4)",
       res_out_dims);
  need(res_blocks >= 0 && res_blocks <= 256, "res_blocks", res_blocks);
  need(sample_rate >= 1000 && sample_rate <= 384000, "sample_rate", sample_rate);
  need(std::isfinite(mel_max_abs) && mel_max_abs > 0, "mel_max_abs", mel_max_abs);
  need(preemphasis >= 0 && preemphasis < 1, "preemphasis", preemphasis);
  if (upsample_factors.empty() || upsample_factors.size() > 16)
    throw InvalidArgument("WaveRNN config: upsample_factors must hold 1 to 16 factors");
  long product = 1;
  for (int f : upsample_factors) {
    need(f >= 1 && f <= kMax, "upsample_factors[i]", f);
    product *= f;
    if (product > kMax) break;
  }
  if (product != hop_length)
    throw InvalidArgument("WaveRNN config: upsample_factors multiply to " + std::to_string(product) +
                          ", but hop_length is " + std::to_string(hop_length) + " (they must be equal)");
}

std::string WaveRNNConfig::to_json() const {
  return nlohmann::json{{"rnn_dims", rnn_dims},       {"fc_dims", fc_dims},
                        {"bits", bits},               {"pad", pad},
                        {"upsample_factors", upsample_factors}, {"feat_dims", feat_dims},
                        {"compute_dims", compute_dims}, {"res_out_dims", res_out_dims},
                        {"res_blocks", res_blocks},   {"hop_length", hop_length},
                        {"sample_rate", sample_rate}, {"mu_law", mu_law},
                        {"mel_max_abs", mel_max_abs}, {"preemphasis", preemphasis}}
      .dump();
}

WaveRNNConfig WaveRNNConfig::from_json(const std::string& json, const std::string& source) {
  const auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw FormatError(source + ": WaveRNN config is not a JSON object");
  WaveRNNConfig c;
  auto int_of = [&](const nlohmann::json& v, const std::string& key) {
    if (!v.is_number_integer() || v.get<long long>() < -1000000 || v.get<long long>() > 1000000)
      throw FormatError(source + ": WaveRNN config field '" + key + "' is not an integer of sensible size");
    return static_cast<int>(v.get<long long>());
  };
  auto get_int = [&](const char* key, int& field) {
    if (j.contains(key)) field = int_of(j[key], key);
  };
  auto get_real = [&](const char* key, double& field) {
    if (!j.contains(key)) return;
    if (!j[key].is_number()) throw FormatError(source + ": WaveRNN config field '" + key + "' is not a number");
    field = j[key].get<double>();
  };
  get_int("rnn_dims", c.rnn_dims);
  get_int("fc_dims", c.fc_dims);
  get_int("bits", c.bits);
  get_int("pad", c.pad);
  get_int("feat_dims", c.feat_dims);
  get_int("compute_dims", c.compute_dims);
  get_int("res_out_dims", c.res_out_dims);
  get_int("res_blocks", c.res_blocks);
  get_int("hop_length", c.hop_length);
  get_int("sample_rate", c.sample_rate);
  get_real("mel_max_abs", c.mel_max_abs);
  get_real("preemphasis", c.preemphasis);
  if (j.contains("mu_law")) {
    if (!j["mu_law"].is_boolean()) throw FormatError(source + ": WaveRNN config field 'mu_law' is not a boolean");
    c.mu_law = j["mu_law"].get<bool>();
  }
  if (j.contains("upsample_factors")) {
    const auto& u = j["upsample_factors"];
    if (!u.is_array() || u.size() > 16)
      throw FormatError(source + ": WaveRNN config field 'upsample_factors' is not an array of up to 16 integers");
    c.upsample_factors.clear();
    for (const auto& f : u) c.upsample_factors.push_back(int_of(f, "upsample_factors"));
  }
  try {
    c.validate();
  } catch (const InvalidArgument& e) {
    throw FormatError(source + ": " + e.what());
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// Modules

namespace {

// [B, C, H, W] -> [B, C, H, W * scale], each column repeated: the public Stretch2d(scale, 1).
torch::Tensor stretch_last(const torch::Tensor& x, int scale) {
  const auto b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  return x.unsqueeze(-1).unsqueeze(3).repeat({1, 1, 1, 1, 1, scale}).view({b, c, h, w * scale});
}

}  // namespace

WaveRNNResBlockImpl::WaveRNNResBlockImpl(int dims) {
  conv1 = register_module("conv1", torch::nn::Conv1d(torch::nn::Conv1dOptions(dims, dims, 1).bias(false)));
  conv2 = register_module("conv2", torch::nn::Conv1d(torch::nn::Conv1dOptions(dims, dims, 1).bias(false)));
  batch_norm1 = register_module("batch_norm1", torch::nn::BatchNorm1d(dims));
  batch_norm2 = register_module("batch_norm2", torch::nn::BatchNorm1d(dims));
}

torch::Tensor WaveRNNResBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::relu(batch_norm1(conv1(x)));
  return batch_norm2(conv2(y)) + x;
}

MelResNetImpl::MelResNetImpl(const WaveRNNConfig& c) {
  conv_in = register_module("conv_in", torch::nn::Conv1d(torch::nn::Conv1dOptions(c.feat_dims, c.compute_dims,
                                                                                  2 * c.pad + 1)
                                                             .bias(false)));
  batch_norm = register_module("batch_norm", torch::nn::BatchNorm1d(c.compute_dims));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int i = 0; i < c.res_blocks; ++i) layers->push_back(WaveRNNResBlock(c.compute_dims));
  conv_out = register_module("conv_out", torch::nn::Conv1d(c.compute_dims, c.res_out_dims, 1));
}

torch::Tensor MelResNetImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::relu(batch_norm(conv_in(x)));
  for (const auto& layer : *layers) y = layer->as<WaveRNNResBlockImpl>()->forward(y);
  return conv_out(y);
}

torch::Tensor Stretch2dImpl::forward(const torch::Tensor& x) { return stretch_last(x, scale_); }

UpsampleNetworkImpl::UpsampleNetworkImpl(const WaveRNNConfig& c)
    : hop_(c.hop_length), indent_(c.pad * c.hop_length) {
  resnet = register_module("resnet", MelResNet(c));
  up_layers = register_module("up_layers", torch::nn::Sequential());
  torch::NoGradGuard no_grad;
  for (int s : c.upsample_factors) {
    up_layers->push_back(Stretch2d(s));
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(1, 1, {1, 2 * s + 1}).padding({0, s}).bias(false));
    conv->weight.fill_(1.0 / (2 * s + 1));
    up_layers->push_back(conv);
  }
}

std::pair<torch::Tensor, torch::Tensor> UpsampleNetworkImpl::forward(const torch::Tensor& mels) {
  torch::Tensor aux = stretch_last(resnet(mels).unsqueeze(1), hop_).squeeze(1);
  torch::Tensor m = up_layers->forward(mels.unsqueeze(1)).squeeze(1);
  m = m.slice(2, indent_, m.size(2) - indent_);
  return {m.transpose(1, 2), aux.transpose(1, 2)};
}

WaveRNNImpl::WaveRNNImpl(const WaveRNNConfig& config) : config_(config) {
  config_.validate();
  const WaveRNNConfig& c = config_;
  const int aux = c.aux_dims();
  upsample = register_module("upsample", UpsampleNetwork(c));
  I = register_module("I", torch::nn::Linear(c.feat_dims + aux + 1, c.rnn_dims));
  rnn1 = register_module("rnn1", torch::nn::GRU(torch::nn::GRUOptions(c.rnn_dims, c.rnn_dims).batch_first(true)));
  rnn2 = register_module("rnn2",
                         torch::nn::GRU(torch::nn::GRUOptions(c.rnn_dims + aux, c.rnn_dims).batch_first(true)));
  fc1 = register_module("fc1", torch::nn::Linear(c.rnn_dims + aux, c.fc_dims));
  fc2 = register_module("fc2", torch::nn::Linear(c.fc_dims + aux, c.fc_dims));
  fc3 = register_module("fc3", torch::nn::Linear(c.fc_dims, c.n_classes()));
  step = register_parameter("step", torch::zeros({1}, torch::kLong), /*requires_grad=*/false);
}

namespace {

// x [B, N], mels [B, feat, N/hop + 2*pad], the contract of forward() and step_logits().
void check_teacher_inputs(const WaveRNNConfig& c, const torch::Tensor& x, const torch::Tensor& mels) {
  if (x.dim() != 2 || mels.dim() != 3 || mels.size(0) != x.size(0) || mels.size(1) != c.feat_dims)
    throw InvalidArgument("WaveRNN: expected samples [B, N] and mels [B, " + std::to_string(c.feat_dims) +
                          ", frames], got " + shape_string(x.sizes().vec()) + " and " +
                          shape_string(mels.sizes().vec()));
  if ((mels.size(2) - 2 * c.pad) * c.hop_length != x.size(1) || x.size(1) == 0)
    throw InvalidArgument("WaveRNN: " + std::to_string(mels.size(2)) + " mel frames (with " +
                          std::to_string(2 * c.pad) + " of padding) need " +
                          std::to_string((mels.size(2) - 2 * c.pad) * c.hop_length) + " samples, got " +
                          std::to_string(x.size(1)));
}

}  // namespace

torch::Tensor WaveRNNImpl::forward(const torch::Tensor& x_in, const torch::Tensor& mels) {
  check_teacher_inputs(config_, x_in, mels);
  {
    torch::NoGradGuard no_grad;
    step.add_(1);
  }
  auto [m, aux] = upsample(mels);
  const long d = config_.aux_dims();
  auto a = [&](int i) { return aux.slice(2, d * i, d * (i + 1)); };
  torch::Tensor x = I(torch::cat({x_in.unsqueeze(-1), m, a(0)}, 2));
  torch::Tensor res = x;
  x = std::get<0>(rnn1(x)) + res;
  res = x;
  x = std::get<0>(rnn2(torch::cat({x, a(1)}, 2))) + res;
  x = torch::relu(fc1(torch::cat({x, a(2)}, 2)));
  x = torch::relu(fc2(torch::cat({x, a(3)}, 2)));
  return fc3(x);
}

torch::Tensor WaveRNNImpl::conditioning(const torch::Tensor& mels) {
  auto [m, aux] = upsample(mels);
  return torch::cat({m, aux}, 2).to(torch::kFloat).contiguous();
}

void WaveRNNImpl::require_eval(const char* what) const {
  if (is_training())
    throw InvalidArgument(std::string("WaveRNN ") + what +
                          ": the module is in training mode; call eval() first (its BatchNorm layers must use "
                          "their running statistics)");
}

// ---------------------------------------------------------------------------------------------
// The per-sample kernel

namespace {

std::vector<float> host_floats(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// Row-major copies of the per-sample layers, each weight split into the block that multiplies
// the recurrent state (applied every step) and the block that multiplies the conditioning
// (applied a chunk of steps at a time, see run_steps). Conditioning rows are m | a1 | a2 | a3 |
// a4 (D = M + 4A wide), so I's block reads columns [0, M + A) and a2..a4 follow.
struct StepWeights {
  int H, Fc, A, M, C, D;  // rnn, fc, aux, mel, classes, conditioning width
  std::vector<float> i_x, i_cond, i_b;            // I: [H] (previous sample), [H, M + A], [H]
  std::vector<float> ih1, hh1, bih1, bhh1;        // rnn1: [3H, H] x2, [3H] x2
  std::vector<float> ih2x, ih2a, bih2, hh2, bhh2; // rnn2: [3H, H], [3H, A], [3H], [3H, H], [3H]
  std::vector<float> fc1x, fc1a, bfc1;            // [Fc, H], [Fc, A], [Fc]
  std::vector<float> fc2x, fc2a, bfc2;            // [Fc, Fc], [Fc, A], [Fc]
  std::vector<float> fc3, bfc3;                   // [C, Fc], [C]

  explicit StepWeights(WaveRNNImpl& m) {
    const WaveRNNConfig& c = m.config();
    H = c.rnn_dims, Fc = c.fc_dims, A = c.aux_dims(), M = c.feat_dims, C = c.n_classes(), D = M + 4 * A;
    i_x = host_floats(m.I->weight.select(1, 0));
    i_cond = host_floats(m.I->weight.slice(1, 1));
    i_b = host_floats(m.I->bias);
    auto p1 = m.rnn1->named_parameters(), p2 = m.rnn2->named_parameters();
    ih1 = host_floats(p1["weight_ih_l0"]);
    hh1 = host_floats(p1["weight_hh_l0"]);
    bih1 = host_floats(p1["bias_ih_l0"]);
    bhh1 = host_floats(p1["bias_hh_l0"]);
    ih2x = host_floats(p2["weight_ih_l0"].slice(1, 0, H));
    ih2a = host_floats(p2["weight_ih_l0"].slice(1, H));
    bih2 = host_floats(p2["bias_ih_l0"]);
    hh2 = host_floats(p2["weight_hh_l0"]);
    bhh2 = host_floats(p2["bias_hh_l0"]);
    fc1x = host_floats(m.fc1->weight.slice(1, 0, H));
    fc1a = host_floats(m.fc1->weight.slice(1, H));
    bfc1 = host_floats(m.fc1->bias);
    fc2x = host_floats(m.fc2->weight.slice(1, 0, Fc));
    fc2a = host_floats(m.fc2->weight.slice(1, Fc));
    bfc2 = host_floats(m.fc2->bias);
    fc3 = host_floats(m.fc3->weight);
    bfc3 = host_floats(m.fc3->bias);
  }
};

// c[rows, n] = beta * c + a[rows, k] (row stride lda) * w[n, k]^T: a PyTorch Linear weight
// applied to `rows` rows at once. OpenBLAS's sgemm packs the whole weight on every call, which
// costs more than streaming it once per row while rows are few (measured: 2 rows 0.39 ms vs
// 0.25 ms, 4 rows even, 8 rows 0.62 ms vs 1.04 ms for a 1536 x 512 weight), so up to 4 rows
// go to sgemv.
void times_weight(const float* a, int rows, int k, int lda, const std::vector<float>& w, int n, float beta,
                  float* c) {
  constexpr int kMaxSgemvRows = 4;
  if (rows <= kMaxSgemvRows) {
    for (int r = 0; r < rows; ++r)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, w.data(), k, a + static_cast<std::size_t>(r) * lda, 1,
                  beta, c + static_cast<std::size_t>(r) * n, 1);
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, k, 1.0f, a, lda, w.data(), k, beta, c, n);
  }
}

void fill_rows(float* c, int rows, const std::vector<float>& row) {
  for (int r = 0; r < rows; ++r) std::memcpy(c + static_cast<std::size_t>(r) * row.size(), row.data(),
                                             row.size() * sizeof(float));
}

inline float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

// torch's GRU cell, gates r | z | n: gi = W_i x + b_i (bias already in), gh = W_h h (bias
// added here, because r scales the n part of W_h h + b_h).
void gru_update(const float* gi, const float* gh, const float* bhh, float* h, int rows, int H) {
  for (int b = 0; b < rows; ++b) {
    const float* i = gi + static_cast<std::size_t>(b) * 3 * H;
    const float* g = gh + static_cast<std::size_t>(b) * 3 * H;
    float* hb = h + static_cast<std::size_t>(b) * H;
    for (int j = 0; j < H; ++j) {
      const float r = sigmoid(i[j] + g[j] + bhh[j]);
      const float z = sigmoid(i[H + j] + g[H + j] + bhh[H + j]);
      const float n = std::tanh(i[2 * H + j] + r * (g[2 * H + j] + bhh[2 * H + j]));
      hb[j] = (1.0f - z) * n + z * hb[j];
    }
  }
}

void add_into(float* out, const float* a, const float* b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void relu_in_place(float* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
}

// A class drawn from softmax(logits) by inverse CDF with one 53-bit uniform number taken from
// the engine's raw output: std::uniform_real_distribution differs between standard libraries,
// and a seed must give the same audio everywhere.
int sample_class(const float* logits, int n, double* cdf, std::mt19937_64& rng) {
  const float mx = *std::max_element(logits, logits + n);
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    sum += std::exp(static_cast<double>(logits[i] - mx));
    cdf[i] = sum;
  }
  const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53 * sum;
  const int k = static_cast<int>(std::upper_bound(cdf, cdf + n, u) - cdf);
  return std::min(k, n - 1);
}

// Steps the network over `rows` independent sequences of `steps` samples.
//   cond:    [rows, steps, D] conditioning (m | aux per sample)
//   teacher: [rows, steps] input samples (teacher forcing), or null to feed back samples drawn
//            with `rng` (the first input is 0, as in the public generate())
//   logits:  [rows, steps, C] output, or null
//   samples: [rows, steps] drawn levels in [-1, 1] (when sampling)
// The conditioning products (a quarter of the work is independent of the previous sample)
// are done kChunk steps at a time as one sgemm each, which bounds their memory whatever the
// length; every other buffer is allocated once, before the loop.
void run_steps(const StepWeights& w, const float* cond, int rows, long steps, const float* teacher,
               float* logits_out, std::mt19937_64* rng, float* samples_out) {
  constexpr int kChunk = 64;
  const int H = w.H, Fc = w.Fc, A = w.A, M = w.M, C = w.C, D = w.D;
  const std::size_t chunk_rows = static_cast<std::size_t>(kChunk) * rows;
  std::vector<float> feats(chunk_rows * D), ci(chunk_rows * H), c2(chunk_rows * 3 * H), c3(chunk_rows * Fc),
      c4(chunk_rows * Fc);
  std::vector<float> gi(static_cast<std::size_t>(rows) * 3 * H), gh(gi.size());
  std::vector<float> h1(static_cast<std::size_t>(rows) * H, 0.0f), h2(h1.size(), 0.0f), x1(h1.size()),
      x2(h1.size());
  std::vector<float> logits(static_cast<std::size_t>(rows) * C), x_prev(rows, 0.0f);
  std::vector<double> cdf(C);
  const std::size_t rh = static_cast<std::size_t>(rows) * H;

  for (long i0 = 0; i0 < steps; i0 += kChunk) {
    const int K = static_cast<int>(std::min<long>(kChunk, steps - i0));
    const int R = K * rows;
    for (int k = 0; k < K; ++k)
      for (int b = 0; b < rows; ++b)
        std::memcpy(&feats[(static_cast<std::size_t>(k) * rows + b) * D],
                    cond + (static_cast<std::size_t>(b) * steps + i0 + k) * D, D * sizeof(float));
    fill_rows(ci.data(), R, w.i_b);
    times_weight(feats.data(), R, M + A, D, w.i_cond, H, 1.0f, ci.data());
    fill_rows(c2.data(), R, w.bih2);
    times_weight(feats.data() + M + A, R, A, D, w.ih2a, 3 * H, 1.0f, c2.data());
    fill_rows(c3.data(), R, w.bfc1);
    times_weight(feats.data() + M + 2 * A, R, A, D, w.fc1a, Fc, 1.0f, c3.data());
    fill_rows(c4.data(), R, w.bfc2);
    times_weight(feats.data() + M + 3 * A, R, A, D, w.fc2a, Fc, 1.0f, c4.data());

    for (int k = 0; k < K; ++k) {
      const long t = i0 + k;
      if (teacher)
        for (int b = 0; b < rows; ++b) x_prev[b] = teacher[static_cast<std::size_t>(b) * steps + t];
      float* in = &ci[k * rh];
      for (int b = 0; b < rows; ++b)
        for (int j = 0; j < H; ++j) in[static_cast<std::size_t>(b) * H + j] += w.i_x[j] * x_prev[b];

      fill_rows(gi.data(), rows, w.bih1);
      times_weight(in, rows, H, H, w.ih1, 3 * H, 1.0f, gi.data());
      times_weight(h1.data(), rows, H, H, w.hh1, 3 * H, 0.0f, gh.data());
      gru_update(gi.data(), gh.data(), w.bhh1.data(), h1.data(), rows, H);
      add_into(x1.data(), in, h1.data(), rh);

      float* g2 = &c2[k * rh * 3];
      times_weight(x1.data(), rows, H, H, w.ih2x, 3 * H, 1.0f, g2);
      times_weight(h2.data(), rows, H, H, w.hh2, 3 * H, 0.0f, gh.data());
      gru_update(g2, gh.data(), w.bhh2.data(), h2.data(), rows, H);
      add_into(x2.data(), x1.data(), h2.data(), rh);

      float* f1 = &c3[static_cast<std::size_t>(k) * rows * Fc];
      times_weight(x2.data(), rows, H, H, w.fc1x, Fc, 1.0f, f1);
      relu_in_place(f1, static_cast<std::size_t>(rows) * Fc);
      float* f2 = &c4[static_cast<std::size_t>(k) * rows * Fc];
      times_weight(f1, rows, Fc, Fc, w.fc2x, Fc, 1.0f, f2);
      relu_in_place(f2, static_cast<std::size_t>(rows) * Fc);
      fill_rows(logits.data(), rows, w.bfc3);
      times_weight(f2, rows, Fc, Fc, w.fc3, C, 1.0f, logits.data());

      for (int b = 0; b < rows; ++b) {
        const float* lb = &logits[static_cast<std::size_t>(b) * C];
        if (logits_out)
          std::memcpy(logits_out + (static_cast<std::size_t>(b) * steps + t) * C, lb, C * sizeof(float));
        if (!teacher) {
          const float v = 2.0f * sample_class(lb, C, cdf.data(), *rng) / (C - 1.0f) - 1.0f;
          samples_out[static_cast<std::size_t>(b) * steps + t] = v;
          x_prev[b] = v;
        }
      }
    }
  }
}

}  // namespace

torch::Tensor WaveRNNImpl::step_logits(const torch::Tensor& x, const torch::Tensor& mels) {
  require_eval("step_logits");
  check_teacher_inputs(config_, x, mels);
  torch::NoGradGuard no_grad;
  const StepWeights w(*this);
  const torch::Tensor cond = conditioning(mels);
  const torch::Tensor teacher = x.to(torch::kFloat).contiguous();
  const long rows = x.size(0), steps = x.size(1);
  torch::Tensor out = torch::empty({rows, steps, config_.n_classes()}, torch::kFloat);
  run_steps(w, cond.data_ptr<float>(), static_cast<int>(rows), steps, teacher.data_ptr<float>(),
            out.data_ptr<float>(), nullptr, nullptr);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Generation

namespace {

// numpy.linspace(a, b, n)[i]
double linspace_at(double a, double b, long n, long i) { return n == 1 ? a : a + (b - a) * i / (n - 1); }

void check_mel(const WaveRNNConfig& c, const FeatureMatrix& mel) {
  if (mel.rows != c.feat_dims)
    throw InvalidArgument("WaveRNN: the mel has " + std::to_string(mel.rows) + " bands, the model expects " +
                          std::to_string(c.feat_dims) + " (wav2lip-16k)");
  if (mel.cols < 2)
    throw InvalidArgument("WaveRNN: the mel has " + std::to_string(mel.cols) +
                          " frames; at least 2 are needed (the output is (frames - 1) * hop samples)");
  if (mel.data.size() != static_cast<std::size_t>(mel.rows) * mel.cols)
    throw InvalidArgument("WaveRNN: the mel holds " + std::to_string(mel.data.size()) + " values, not " +
                          std::to_string(mel.rows) + " x " + std::to_string(mel.cols));
  for (std::size_t i = 0; i < mel.data.size(); ++i)
    if (!std::isfinite(mel.data[i]))
      throw InvalidArgument("WaveRNN: the mel holds a non-finite value at band " + std::to_string(i / mel.cols) +
                            ", frame " + std::to_string(i % mel.cols));
}

void check_options(const WaveRNNOptions& o) {
  constexpr int kMax = 1 << 24;
  if (o.target < 1 || o.target > kMax)
    throw InvalidArgument("WaveRNN: target = " + std::to_string(o.target) + " samples is out of range (1.." +
                          std::to_string(kMax) + ")");
  if (o.overlap < 0 || o.overlap > kMax)
    throw InvalidArgument("WaveRNN: overlap = " + std::to_string(o.overlap) + " samples is out of range (0.." +
                          std::to_string(kMax) + ")");
}

}  // namespace

Waveform WaveRNNImpl::generate(const FeatureMatrix& mel, const WaveRNNOptions& options) {
  require_eval("generate");
  check_mel(config_, mel);
  check_options(options);
  const WaveRNNConfig& c = config_;
  torch::NoGradGuard no_grad;
  const StepWeights w(*this);

  const long frames = mel.cols;
  const long total = frames * c.hop_length;  // samples the upsampled conditioning covers
  // infer_waveform's normalisation, then generate()'s zero padding of `pad` frames each side.
  const torch::Tensor m =
      torch::from_blob(const_cast<float*>(mel.data.data()), {1, mel.rows, mel.cols}, torch::kFloat) /
      c.mel_max_abs;
  const torch::Tensor cond = conditioning(F::pad(m, F::PadFuncOptions({c.pad, c.pad})));
  const long D = cond.size(2);

  FoldedSignal folded;
  const float* rows_cond = cond.data_ptr<float>();
  long rows = 1, steps = total;
  if (options.batched) {
    folded = fold_with_overlap(rows_cond, total, D, options.target, options.overlap);
    rows_cond = folded.data.data();
    rows = folded.folds;
    steps = folded.length;
  }

  std::mt19937_64 rng(options.seed ? *options.seed : (std::uint64_t{std::random_device{}()} << 32) ^
                                                          std::random_device{}());
  std::vector<float> samples(static_cast<std::size_t>(rows) * steps);
  run_steps(w, rows_cond, static_cast<int>(rows), steps, nullptr, nullptr, &rng, samples.data());
  folded.data = {};

  std::vector<double> out(samples.begin(), samples.end());
  if (options.batched) out = xfade_and_unfold(std::move(out), rows, options.overlap);
  if (c.mu_law)
    for (double& v : out) v = mu_law_decode(v, c.bits);
  if (c.preemphasis > 0)  // de_emphasis: lfilter([1], [1, -p])
    for (std::size_t i = 1; i < out.size(); ++i) out[i] += c.preemphasis * out[i - 1];

  const long wave_len = (frames - 1) * c.hop_length;
  out.resize(static_cast<std::size_t>(wave_len));
  // The public fade spans 20 hops and fails on a shorter output; here it spans what there is.
  const long fade = options.fade_out ? std::min<long>(20L * c.hop_length, wave_len) : 0;
  for (long i = 0; i < fade; ++i) out[wave_len - fade + i] *= linspace_at(1.0, 0.0, fade, i);

  Waveform wav;
  wav.rate = c.sample_rate;
  wav.samples.assign(out.begin(), out.end());
  return wav;
}

// ---------------------------------------------------------------------------------------------
// mu-law, folding

int mu_law_encode(double x, int bits) {
  const double mu = (1 << bits) - 1;
  x = std::clamp(x, -1.0, 1.0);
  const double fx = (x < 0 ? -1.0 : x > 0 ? 1.0 : 0.0) * std::log1p(mu * std::fabs(x)) / std::log1p(mu);
  return static_cast<int>(std::floor((fx + 1) / 2 * mu + 0.5));
}

double mu_law_decode(double y, int bits) {
  const double mu = (1 << bits) - 1;
  const double sign = y < 0 ? -1.0 : y > 0 ? 1.0 : 0.0;
  return sign / mu * (std::pow(1 + mu, std::fabs(y)) - 1);
}

double label_to_float(int label, int bits) { return 2.0 * label / ((1 << bits) - 1.0) - 1.0; }

FoldedSignal fold_with_overlap(const float* x, long total_len, long features, long target, long overlap) {
  if (total_len < 1 || features < 1 || target < 1 || overlap < 0)
    throw InvalidArgument("fold_with_overlap: need total_len, features, target >= 1 and overlap >= 0, got " +
                          std::to_string(total_len) + ", " + std::to_string(features) + ", " +
                          std::to_string(target) + ", " + std::to_string(overlap));
  const long stride = target + overlap;
  // Python's floor division: the numerator is negative when total_len < overlap.
  const long num = total_len - overlap;
  long folds = num >= 0 ? num / stride : -((-num + stride - 1) / stride);
  const long remaining = total_len - (folds * stride + overlap);
  if (remaining != 0) ++folds;
  folds = std::max(folds, 1L);

  FoldedSignal f;
  f.folds = folds;
  f.length = target + 2 * overlap;
  f.features = features;
  f.data.assign(static_cast<std::size_t>(folds * f.length * features), 0.0f);
  for (long i = 0; i < folds; ++i) {
    const long start = i * stride;
    const long n = std::clamp(total_len - start, 0L, f.length);
    std::copy(x + start * features, x + (start + n) * features,
              f.data.begin() + static_cast<std::ptrdiff_t>(i * f.length * features));
  }
  return f;
}

std::vector<double> xfade_and_unfold(std::vector<double> y, long folds, long overlap) {
  if (folds < 1 || overlap < 0 || y.size() % static_cast<std::size_t>(folds) != 0 ||
      static_cast<long>(y.size()) / folds <= 2 * overlap)
    throw InvalidArgument("xfade_and_unfold: " + std::to_string(y.size()) + " samples do not make " +
                          std::to_string(folds) + " folds longer than 2 * overlap (" + std::to_string(overlap) + ")");
  const long length = static_cast<long>(y.size()) / folds;
  const long target = length - 2 * overlap;
  const long silence = overlap / 2;  // the RNN's warm-up, muted
  const long fade_len = overlap - silence;
  std::vector<double> fade_in(overlap, 0.0), fade_out(overlap, 0.0);
  for (long j = 0; j < fade_len; ++j) {
    const double t = linspace_at(-1.0, 1.0, fade_len, j);
    fade_in[silence + j] = std::sqrt(0.5 * (1 + t));  // equal power
    fade_out[j] = std::sqrt(0.5 * (1 - t));
  }
  std::vector<double> unfolded(static_cast<std::size_t>(folds * (target + overlap) + overlap), 0.0);
  for (long i = 0; i < folds; ++i) {
    double* row = &y[static_cast<std::size_t>(i * length)];
    for (long j = 0; j < overlap; ++j) {
      row[j] *= fade_in[j];
      row[length - overlap + j] *= fade_out[j];
    }
    double* dst = &unfolded[static_cast<std::size_t>(i * (target + overlap))];
    for (long j = 0; j < length; ++j) dst[j] += row[j];
  }
  return unfolded;
}

// ---------------------------------------------------------------------------------------------
// Files

WaveRNN load_wavernn(const std::string& path, const WaveRNNConfig& config) {
  const TensorDict weights = load_weight_file(path);
  WaveRNN model(config);
  load_weights(*model, weights, path);
  model->eval();
  return model;
}

WaveRNN load_wavernn(const std::string& path) {
  const auto metadata = load_weight_metadata(path);
  const auto kind = metadata.find("dubkit.model");
  if (kind != metadata.end() && kind->second != "wavernn")
    throw FormatError(path + ": metadata dubkit.model is '" + kind->second + "', expected 'wavernn'");
  const auto config = metadata.find("dubkit.config");
  return load_wavernn(path, config == metadata.end() ? WaveRNNConfig{}
                                                      : WaveRNNConfig::from_json(config->second, path));
}

void save_wavernn(const std::string& path, WaveRNN& model, std::map<std::string, std::string> metadata) {
  metadata["dubkit.model"] = "wavernn";
  metadata["dubkit.config"] = model->config().to_json();
  metadata["dubkit.mel_preset"] = "wav2lip-16k";
  write_safetensors(path, module_weights(*model), metadata);
}

}  // namespace dubkit
