#include "vocoder/hifigan.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/checkpoint.hpp"
#include "core/error.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"

namespace dubkit {

namespace {

constexpr double kLreluSlope = 0.1;  // the public LRELU_SLOPE; the last activation uses torch's default 0.01

void require(bool ok, const std::string& field, const std::string& why) {
  if (!ok) throw InvalidArgument("HiFi-GAN config: " + field + " " + why);
}

// "Same" padding of a dilated conv, as the public get_padding().
int same_padding(int kernel, int dilation) { return (kernel * dilation - dilation) / 2; }

torch::nn::Conv1d conv(int in, int out, int kernel, int dilation) {
  return torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, kernel).dilation(dilation).padding(same_padding(kernel, dilation)));
}

}  // namespace

long HifiGanConfig::hop() const {
  long h = 1;
  for (int u : upsample_rates) h = std::min(h * std::max(u, 1), 1L << 30);  // unvalidated lists must not overflow
  return h;
}

void HifiGanConfig::validate() const {
  require(resblock == "1" || resblock == "2", "resblock", "must be \"1\" or \"2\", got \"" + resblock + "\"");
  require(!upsample_rates.empty() && upsample_rates.size() <= 8, "upsample_rates", "must list 1 to 8 strides");
  require(upsample_kernel_sizes.size() == upsample_rates.size(), "upsample_kernel_sizes",
          "must have one kernel per upsample rate (" + std::to_string(upsample_rates.size()) + "), got " +
              std::to_string(upsample_kernel_sizes.size()));
  for (std::size_t i = 0; i < upsample_rates.size(); ++i) {
    const int u = upsample_rates[i], k = upsample_kernel_sizes[i];
    require(u >= 1 && u <= 64, "upsample_rates", "entry " + std::to_string(u) + " is outside 1..64");
    // Output length T*u needs (k - u) even and non-negative: padding (k - u) / 2 as published.
    require(k >= u && k <= 256 && (k - u) % 2 == 0, "upsample_kernel_sizes",
            "entry " + std::to_string(k) + " must be >= its rate " + std::to_string(u) + ", <= 256, and differ from it by an even number");
  }
  require(upsample_initial_channel >= (1 << upsample_rates.size()) && upsample_initial_channel <= 4096 &&
              upsample_initial_channel % (1 << upsample_rates.size()) == 0,
          "upsample_initial_channel", std::to_string(upsample_initial_channel) + " must be in 2^n..4096 and divisible by 2^n (n = " +
              std::to_string(upsample_rates.size()) + " upsamples)");
  require(!resblock_kernel_sizes.empty() && resblock_kernel_sizes.size() <= 8, "resblock_kernel_sizes", "must list 1 to 8 kernels");
  require(resblock_dilation_sizes.size() == resblock_kernel_sizes.size(), "resblock_dilation_sizes",
          "must have one list per resblock kernel");
  const std::size_t convs = resblock == "1" ? 3 : 2;
  for (std::size_t j = 0; j < resblock_kernel_sizes.size(); ++j) {
    const int k = resblock_kernel_sizes[j];
    require(k >= 1 && k <= 63 && k % 2 == 1, "resblock_kernel_sizes", "entry " + std::to_string(k) + " must be odd, 1..63");
    require(resblock_dilation_sizes[j].size() >= convs, "resblock_dilation_sizes",
            "entry " + std::to_string(j) + " needs " + std::to_string(convs) + " dilations for resblock " + resblock);
    for (int d : resblock_dilation_sizes[j])
      require(d >= 1 && d <= 64, "resblock_dilation_sizes", "dilation " + std::to_string(d) + " is outside 1..64");
  }
  require(num_mels >= 1 && num_mels <= 512, "num_mels", std::to_string(num_mels) + " is outside 1..512");
  require(sampling_rate >= 8000 && sampling_rate <= 192000, "sampling_rate", std::to_string(sampling_rate) + " is outside 8000..192000");
  require(hop() <= 65536, "upsample_rates", "multiply to " + std::to_string(hop()) + ", above 65536 samples per frame");
  require(hop_size == hop(), "hop_size", std::to_string(hop_size) + " must equal the product of upsample_rates (" + std::to_string(hop()) + ")");
}

HifiGanConfig HifiGanConfig::from_json(const std::string& text, const std::string& source) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) throw FormatError(source + ": not a JSON object");
  HifiGanConfig c;
  auto get = [&](const char* key, auto& into) {
    if (!j.contains(key)) return;
    try {
      j.at(key).get_to(into);
    } catch (const nlohmann::json::exception&) {
      throw FormatError(source + ": field '" + key + "' has the wrong type");
    }
  };
  get("resblock", c.resblock);
  get("upsample_rates", c.upsample_rates);
  get("upsample_kernel_sizes", c.upsample_kernel_sizes);
  get("upsample_initial_channel", c.upsample_initial_channel);
  get("resblock_kernel_sizes", c.resblock_kernel_sizes);
  get("resblock_dilation_sizes", c.resblock_dilation_sizes);
  get("num_mels", c.num_mels);
  get("sampling_rate", c.sampling_rate);
  c.hop_size = static_cast<int>(c.hop());  // the public configs always agree; checked when given
  get("hop_size", c.hop_size);
  get("mel_preset", c.mel_preset);
  try {
    c.validate();
  } catch (const InvalidArgument& e) {
    throw FormatError(source + ": " + e.what());
  }
  return c;
}

HifiGanConfig HifiGanConfig::from_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw IoError(path + ": cannot open");
  std::stringstream s;
  s << f.rdbuf();
  return from_json(s.str(), path);
}

std::string HifiGanConfig::to_json() const {
  return nlohmann::json{{"resblock", resblock},
                        {"upsample_rates", upsample_rates},
                        {"upsample_kernel_sizes", upsample_kernel_sizes},
                        {"upsample_initial_channel", upsample_initial_channel},
                        {"resblock_kernel_sizes", resblock_kernel_sizes},
                        {"resblock_dilation_sizes", resblock_dilation_sizes},
                        {"num_mels", num_mels},
                        {"sampling_rate", sampling_rate},
                        {"hop_size", hop_size},
                        {"mel_preset", mel_preset}}
      .dump();
}

HifiGanConfig HifiGanConfig::named(const std::string& name) {
  HifiGanConfig c;  // defaults are V1
  if (name == "v1") return c;
  if (name == "v2" || name == "v3") {
    c.resblock = name == "v2" ? "1" : "2";
    c.upsample_rates = name == "v2" ? std::vector<int>{8, 8, 2, 2} : std::vector<int>{8, 8, 4};
    c.upsample_kernel_sizes = name == "v2" ? std::vector<int>{16, 16, 4, 4} : std::vector<int>{16, 16, 8};
    c.upsample_initial_channel = name == "v2" ? 128 : 256;
    c.resblock_kernel_sizes = name == "v2" ? std::vector<int>{3, 7, 11} : std::vector<int>{3, 5, 7};
    c.resblock_dilation_sizes = name == "v2" ? std::vector<std::vector<int>>{{1, 3, 5}, {1, 3, 5}, {1, 3, 5}}
                                             : std::vector<std::vector<int>>{{1, 2}, {2, 6}, {3, 12}};
    return c;
  }
  throw InvalidArgument("unknown HiFi-GAN config '" + name + "' (known: v1, v2, v3)");
}

HifiGanResBlockImpl::HifiGanResBlockImpl(const std::string& type, int channels, int kernel, const std::vector<int>& dilations)
    : type1_(type == "1") {
  if (type1_) {
    convs1 = register_module("convs1", torch::nn::ModuleList());
    convs2 = register_module("convs2", torch::nn::ModuleList());
    for (int i = 0; i < 3; ++i) {
      convs1->push_back(conv(channels, channels, kernel, dilations[static_cast<std::size_t>(i)]));
      convs2->push_back(conv(channels, channels, kernel, 1));
    }
  } else {
    convs = register_module("convs", torch::nn::ModuleList());
    for (int i = 0; i < 2; ++i) convs->push_back(conv(channels, channels, kernel, dilations[static_cast<std::size_t>(i)]));
  }
}

torch::Tensor HifiGanResBlockImpl::forward(torch::Tensor x) {
  if (type1_) {
    for (std::size_t i = 0; i < convs1->size(); ++i) {
      torch::Tensor t = convs1[i]->as<torch::nn::Conv1d>()->forward(torch::leaky_relu(x, kLreluSlope));
      x = x + convs2[i]->as<torch::nn::Conv1d>()->forward(torch::leaky_relu(t, kLreluSlope));
    }
  } else {
    for (const auto& c : *convs) x = x + c->as<torch::nn::Conv1d>()->forward(torch::leaky_relu(x, kLreluSlope));
  }
  return x;
}

HifiGanGeneratorImpl::HifiGanGeneratorImpl(const HifiGanConfig& config) : config_(config) {
  config_.validate();
  const int c0 = config_.upsample_initial_channel;
  conv_pre = register_module("conv_pre", conv(config_.num_mels, c0, 7, 1));
  ups = register_module("ups", torch::nn::ModuleList());
  resblocks = register_module("resblocks", torch::nn::ModuleList());
  int ch = c0;
  for (std::size_t i = 0; i < config_.upsample_rates.size(); ++i) {
    const int u = config_.upsample_rates[i], k = config_.upsample_kernel_sizes[i];
    ups->push_back(torch::nn::ConvTranspose1d(torch::nn::ConvTranspose1dOptions(ch, ch / 2, k).stride(u).padding((k - u) / 2)));
    ch /= 2;
    for (std::size_t j = 0; j < config_.resblock_kernel_sizes.size(); ++j)
      resblocks->push_back(HifiGanResBlock(config_.resblock, ch, config_.resblock_kernel_sizes[j], config_.resblock_dilation_sizes[j]));
  }
  conv_post = register_module("conv_post", conv(ch, 1, 7, 1));
}

torch::Tensor HifiGanGeneratorImpl::forward(const torch::Tensor& mel) {
  const std::size_t kernels = config_.resblock_kernel_sizes.size();
  torch::Tensor x = conv_pre(mel);
  for (std::size_t i = 0; i < ups->size(); ++i) {
    x = ups[i]->as<torch::nn::ConvTranspose1d>()->forward(torch::leaky_relu(x, kLreluSlope));
    torch::Tensor sum = resblocks[i * kernels]->as<HifiGanResBlock>()->forward(x);
    for (std::size_t j = 1; j < kernels; ++j) sum = sum + resblocks[i * kernels + j]->as<HifiGanResBlock>()->forward(x);
    x = sum / static_cast<double>(kernels);
  }
  return torch::tanh(conv_post(torch::leaky_relu(x, 0.01)));
}

HifiGanGenerator load_hifigan(const std::string& path, const HifiGanConfig& config) {
  const TensorDict weights = load_weight_file(path, {/*fold_weight_norm=*/true});
  HifiGanGenerator g(config);
  load_weights(*g, weights, path);
  g->eval();
  return g;
}

}  // namespace dubkit
