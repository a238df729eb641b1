#include "core/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {
// The reference implementation's own bound; a longer header is hostile or broken.
constexpr std::uint64_t kMaxHeaderBytes = 100u * 1000u * 1000u;
// The header is a flat object of flat objects: anything deeper is rejected while parsing, so
// a deeply nested header cannot exhaust the stack.
constexpr int kMaxJsonDepth = 4;
}  // namespace

// Owning read-only mapping of a whole file.
struct SafetensorsFile::Mapping {
  void* addr = nullptr;
  std::size_t size = 0;
  ~Mapping() {
    if (addr && size) ::munmap(addr, size);
  }
};

HostTensor TensorView::copy() const {
  HostTensor t;
  t.dtype = dtype;
  t.shape = shape;
  t.data.assign(data, data + nbytes);
  return t;
}

std::vector<float> TensorView::to_float() const { return copy().to_float(); }

SafetensorsFile::SafetensorsFile(const std::string& path) : source_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IoError("'" + path + "' is not a regular file");
  }
  mapping_ = std::make_unique<Mapping>();
  mapping_->size = static_cast<std::size_t>(st.st_size);
  if (mapping_->size > 0) {
    void* addr = ::mmap(nullptr, mapping_->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      ::close(fd);
      throw IoError("cannot map '" + path + "': " + std::strerror(errno));
    }
    mapping_->addr = addr;
  }
  ::close(fd);
  parse(static_cast<const std::byte*>(mapping_->addr), mapping_->size);
}

SafetensorsFile::SafetensorsFile(const void* data, std::size_t size, std::string source)
    : source_(std::move(source)) {
  parse(static_cast<const std::byte*>(data), size);
}

SafetensorsFile::~SafetensorsFile() = default;
SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;

void SafetensorsFile::parse(const std::byte* data, std::size_t size) {
  const std::string& src = source_;
  if (size < 8)
    throw FormatError(src + ": not a safetensors file (" + std::to_string(size) +
                      " bytes, the 8-byte header length alone needs 8)");
  std::uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<std::uint8_t>(data[i]);
  if (header_len > kMaxHeaderBytes)
    throw FormatError(src + ": header length " + std::to_string(header_len) +
                      " exceeds the 100 MB limit");
  if (header_len > size - 8)
    throw FormatError(src + ": header length " + std::to_string(header_len) +
                      " runs past the end of the file (" + std::to_string(size) + " bytes)");
  const char* hbegin = reinterpret_cast<const char*>(data + 8);
  const std::size_t data_size = size - 8 - header_len;
  const std::byte* region = data + 8 + header_len;

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(
        hbegin, hbegin + header_len,
        [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
          if (depth > kMaxJsonDepth) throw FormatError(src + ": header JSON nested too deeply");
          return true;
        });
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(src + ": header is not valid JSON (" + e.what() + ")");
  }
  if (!header.is_object()) throw FormatError(src + ": header is not a JSON object");

  struct Span {
    std::uint64_t begin, end;
    std::size_t index;
  };
  std::vector<Span> spans;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) throw FormatError(src + ": __metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string())
          throw FormatError(src + ": __metadata__ value of '" + m.key() + "' is not a string");
        metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = src + ": tensor '" + name + "'";
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") ||
        !v.contains("data_offsets"))
      throw FormatError(where + " lacks dtype, shape or data_offsets");
    const auto& jd = v["dtype"];
    const auto& js = v["shape"];
    const auto& jo = v["data_offsets"];
    if (!jd.is_string()) throw FormatError(where + ": dtype is not a string");
    if (!js.is_array()) throw FormatError(where + ": shape is not an array");
    if (!jo.is_array() || jo.size() != 2 || !jo[0].is_number_unsigned() ||
        !jo[1].is_number_unsigned())
      throw FormatError(where + ": data_offsets is not a pair of non-negative integers");
    TensorView t;
    t.name = name;
    t.dtype = dtype_from_name(jd.get<std::string>(), where);
    for (const auto& d : js) {
      if (!d.is_number_unsigned()) throw FormatError(where + ": shape holds something other than a non-negative integer");
      const std::uint64_t dim = d.get<std::uint64_t>();
      if (dim > (std::uint64_t{1} << 40)) throw FormatError(where + ": dimension too large");
      t.shape.push_back(static_cast<std::int64_t>(dim));
    }
    const std::uint64_t begin = jo[0].get<std::uint64_t>();
    const std::uint64_t end = jo[1].get<std::uint64_t>();
    if (begin > end || end > data_size)
      throw FormatError(where + ": data_offsets [" + std::to_string(begin) + ", " +
                        std::to_string(end) + "] outside the data region of " +
                        std::to_string(data_size) + " bytes");
    const std::int64_t numel = checked_numel(t.shape, where);
    const std::uint64_t expect = static_cast<std::uint64_t>(numel) * dtype_size(t.dtype);
    if (end - begin != expect)
      throw FormatError(where + ": " + std::to_string(end - begin) + " bytes for " +
                        dtype_name(t.dtype) + " " + shape_string(t.shape) + ", expected " +
                        std::to_string(expect));
    t.data = region + begin;
    t.nbytes = static_cast<std::size_t>(end - begin);
    spans.push_back({begin, end, tensors_.size()});
    tensors_.push_back(std::move(t));
  }
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
  for (std::size_t i = 1; i < spans.size(); ++i)
    if (spans[i].begin < spans[i - 1].end)
      throw FormatError(src + ": tensors '" + tensors_[spans[i - 1].index].name + "' and '" +
                        tensors_[spans[i].index].name + "' overlap");
  // File order, so that writing back reproduces the layout.
  std::vector<TensorView> ordered;
  ordered.reserve(spans.size());
  for (const Span& s : spans) ordered.push_back(std::move(tensors_[s.index]));
  tensors_ = std::move(ordered);
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  for (const TensorView& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

const TensorView& SafetensorsFile::at(const std::string& name) const {
  if (const TensorView* t = find(name)) return *t;
  throw InvalidArgument(source_ + ": no tensor named '" + name + "'");
}

TensorDict SafetensorsFile::to_dict() const {
  TensorDict d;
  for (const TensorView& t : tensors_) d.add(t.name, t.copy());
  return d;
}

void write_safetensors(const std::string& path, const TensorDict& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // nlohmann's ordered_json keeps insertion order, so the header lists tensors in data order.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors.items()) {
    if (name == "__metadata__") throw InvalidArgument(path + ": '__metadata__' is reserved");
    const std::uint64_t n = t.data.size();
    header[name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  // Paths in metadata may not be UTF-8; invalid bytes become U+FFFD instead of an error.
  std::string h = header.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  h.append((8 - h.size() % 8) % 8, ' ');  // aligns the data region, as the reference writer does
  AtomicOutput out(path);
  {
    std::ofstream f(out.temp_path(), std::ios::binary);
    if (!f) throw IoError("cannot create '" + out.temp_path() + "'");
    unsigned char len[8];
    std::uint64_t hl = h.size();
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(hl >> (8 * i));
    f.write(reinterpret_cast<const char*>(len), 8);
    f.write(h.data(), static_cast<std::streamsize>(h.size()));
    for (const auto& item : tensors.items())
      f.write(reinterpret_cast<const char*>(item.second.data.data()),
              static_cast<std::streamsize>(item.second.data.size()));
    f.flush();
    if (!f) throw IoError("write failed on '" + out.temp_path() + "'");
  }
  out.commit();
}

}  // namespace dubkit
