// dubkit doctor: what dubkit runs on, and whether it will be fast.
#include <dlfcn.h>
#include <link.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dlib/revision.h>
#include <filesystem>
#include <memory>
#include <thread>

#include "audio/devices.hpp"
#include "audio/versions.hpp"
#include "core/error.hpp"
#include "core/versions.hpp"
#include "text/phonemizer.hpp"
#include "tools/commands.hpp"

namespace dubkit::cli {

namespace {

struct BlasInfo {
  std::string library;  // resolved path of the loaded BLAS
  std::string kind;     // "OpenBLAS", "reference", or "unknown"
  std::string config;   // openblas_get_config() when available
};

// The BLAS actually mapped into this process: Debian's libtorch links the generic
// libblas.so.3, which the alternatives system points at the reference BLAS or OpenBLAS.
BlasInfo detect_blas() {
  BlasInfo info;
  dl_iterate_phdr(
      [](dl_phdr_info* phdr, size_t, void* data) {
        auto* out = static_cast<BlasInfo*>(data);
        const std::string name = phdr->dlpi_name ? phdr->dlpi_name : "";
        if (name.find("blas") != std::string::npos && out->library.empty()) {
          std::error_code ec;
          const auto real = std::filesystem::canonical(name, ec);
          out->library = ec ? name : real.string();
        }
        return 0;
      },
      &info);
  using ConfigFn = char* (*)();
  if (auto fn = reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    info.kind = "OpenBLAS";
    info.config = fn();
  } else if (info.library.find("/blas/") != std::string::npos) {
    info.kind = "reference";
  } else {
    info.kind = info.library.empty() ? "none found" : "unknown";
  }
  return info;
}

struct MatmulResult {
  double gflops = 0;
  int iterations = 0;
  double seconds = 0;
};

// Square float matmuls through LibTorch (hence through its BLAS) for about `budget` seconds.
MatmulResult measure_matmul(int n, double budget) {
  torch::NoGradGuard no_grad;
  const torch::Tensor a = torch::randn({n, n}), b = torch::randn({n, n});
  torch::Tensor c = torch::mm(a, b);  // warm-up: thread pool, page faults
  MatmulResult r;
  const auto t0 = std::chrono::steady_clock::now();
  do {
    c = torch::mm(a, b);
    ++r.iterations;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (r.seconds < budget);
  r.gflops = 2.0 * n * n * double(n) * r.iterations / r.seconds / 1e9;
  return r;
}

}  // namespace

void register_doctor(CLI::App& app) {
  struct Opts {
    bool json = false;
    double seconds = 1.0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("doctor", "Report dependency versions, BLAS speed, threads, audio devices and models");
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Example: dubkit doctor");
  cmd->add_option("--seconds", o->seconds, "How long to time the matmul")->capture_default_str();
  cmd->callback([o] {
    if (!(o->seconds > 0 && o->seconds <= 60)) throw InvalidArgument("--seconds must be in (0, 60]");
    std::vector<std::pair<std::string, std::string>> libs = {
        {"dubkit", DUBKIT_VERSION},
        {"LibTorch", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                         std::to_string(TORCH_VERSION_PATCH)},
        {"dlib", std::to_string(DLIB_MAJOR_VERSION) + "." + std::to_string(DLIB_MINOR_VERSION) + "." +
                     std::to_string(DLIB_PATCH_VERSION)},
        {"CLI11", CLI11_VERSION}};
    for (const auto& v : core_library_versions()) libs.push_back(v);
    for (const auto& v : audio_library_versions()) libs.push_back(v);
    libs.emplace_back("espeak-ng", espeak_ng_version());

    const BlasInfo blas = detect_blas();
    const MatmulResult mm = measure_matmul(1024, o->seconds);
    const int hw = static_cast<int>(std::thread::hardware_concurrency());
    const int torch_threads = torch::get_num_threads();

    std::string device_error;
    std::vector<AudioDevice> devices;
    try {
      devices = list_audio_devices();
    } catch (const Error& e) {
      device_error = e.what();
    }
    std::vector<std::pair<std::string, std::uintmax_t>> models;
    for (const std::string& dir : model_dirs()) {
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.path().extension() == ".safetensors") models.emplace_back(e.path().string(), e.file_size(ec));
    }
    std::vector<std::string> warnings;
    if (blas.kind == "reference")
      warnings.push_back("the reference BLAS is active: matrix work runs ~30x slower; install "
                         "libopenblas0-openmp (apt-get install -y libopenblas0-openmp)");
    if (blas.kind != "OpenBLAS" && blas.kind != "reference")
      warnings.push_back("could not identify the BLAS in use (" + blas.kind + ")");

    if (o->json) {
      nlohmann::ordered_json j;
      for (const auto& [k, v] : libs) j["versions"][k] = v;
      j["blas"] = {{"kind", blas.kind}, {"library", blas.library}, {"config", blas.config}};
      j["matmul"] = {{"n", 1024}, {"gflops", mm.gflops}, {"iterations", mm.iterations}, {"seconds", mm.seconds}};
      j["threads"] = {{"hardware", hw}, {"torch", torch_threads}};
      j["audio_devices"] = nlohmann::ordered_json::array();
      for (const auto& d : devices) j["audio_devices"].push_back({{"index", d.index}, {"name", d.name}});
      if (!device_error.empty()) j["audio_device_error"] = device_error;
      j["model_dirs"] = model_dirs();
      j["models"] = nlohmann::ordered_json::array();
      for (const auto& [path, size] : models) j["models"].push_back({{"path", path}, {"bytes", size}});
      j["warnings"] = warnings;
      print_json(j);
      return;
    }
    std::printf("libraries:\n");
    for (const auto& [k, v] : libs) std::printf("  %-14s %s\n", k.c_str(), v.c_str());
    std::printf("BLAS:           %s (%s)%s%s\n", blas.kind.c_str(), blas.library.c_str(),
                blas.config.empty() ? "" : "\n                ", blas.config.c_str());
    std::printf("matmul:         %.1f GFLOP/s (1024x1024 float, %d in %.2f s)\n", mm.gflops, mm.iterations, mm.seconds);
    std::printf("threads:        %d hardware, %d LibTorch intra-op\n", hw, torch_threads);
    if (!device_error.empty()) std::printf("audio devices:  none usable (%s)\n", device_error.c_str());
    else std::printf("audio devices:  %zu\n", devices.size());
    for (const auto& d : devices) std::printf("  %3d %s\n", d.index, d.name.c_str());
    std::printf("models:         %zu file(s) in", models.size());
    for (const std::string& d : model_dirs()) std::printf(" %s", d.c_str());
    std::printf("\n");
    for (const auto& [path, size] : models) std::printf("  %s (%.1f MB)\n", path.c_str(), size / 1e6);
    for (const std::string& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  });
}

}  // namespace dubkit::cli
