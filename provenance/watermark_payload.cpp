// The audio watermark's keying and payload: the key-derived tile layout, the payload's
// convolutional code, the HMAC payload of a segment and keys from hex.
#include <sodium.h>

#include <cstring>
#include <numeric>
#include <string>

#include "core/error.hpp"
#include "provenance/watermark.hpp"
#include "provenance/watermark_scheme.hpp"

namespace dubkit {
namespace watermark_scheme {
namespace {

constexpr std::array<unsigned, 3> kGenerators = {0133, 0171, 0165};

int parity(unsigned v) { return __builtin_parity(v); }

}  // namespace

void ensure_sodium() {
  static const int rc = sodium_init();
  if (rc < 0) throw Error("libsodium failed to initialise");
}

Layout make_layout(const WatermarkKey& key, Shape shape) {
  ensure_sodium();
  const std::string domain = shape == Shape::whole ? "dubkit watermark layout v1" : "dubkit watermark half-block layout v1";
  unsigned char seed[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.bytes.data(), key.bytes.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(domain.data()), domain.size());
  crypto_auth_hmacsha256_final(&st, seed);
  // 4 bytes per dither, per permutation draw and per sync bit.
  std::vector<unsigned char> stream(static_cast<std::size_t>(kTiles) * 12);
  const unsigned char nonce[crypto_stream_chacha20_NONCEBYTES] = {};
  crypto_stream_chacha20(stream.data(), stream.size(), nonce, seed);
  sodium_memzero(seed, sizeof seed);
  auto word = [&](std::size_t i) {
    std::uint32_t w;
    std::memcpy(&w, stream.data() + 4 * i, 4);
    return w;
  };
  Layout l;
  for (int i = 0; i < kTiles; ++i) l.dither[i] = word(i) / 4294967296.0;
  std::array<int, kTiles> perm{};
  std::iota(perm.begin(), perm.end(), 0);
  for (int i = kTiles - 1; i > 0; --i) {  // Fisher-Yates; the modulo bias of 2^32 % (i+1) is negligible
    const int j = static_cast<int>(word(kTiles + i) % static_cast<std::uint32_t>(i + 1));
    std::swap(perm[i], perm[j]);
  }
  for (int i = 0; i < kTiles; ++i) {
    const int tile = perm[i];
    l.role[tile] = i < kSyncTiles ? -1 : i - kSyncTiles;
    l.sync_bit[tile] = static_cast<int>(word(2 * kTiles + tile) & 1u);
  }
  return l;
}

// Register: the newest bit in bit 6, the state (6 previous bits) in bits 5..0.
std::array<int, kCodedBits> conv_encode(std::uint32_t payload) {
  std::array<int, kCodedBits> out{};
  unsigned state = 0;
  for (int i = 0; i < kPayloadBits + kTail; ++i) {
    const unsigned bit = i < kPayloadBits ? (payload >> (31 - i)) & 1u : 0u;
    const unsigned reg = (bit << 6) | state;
    for (int g = 0; g < 3; ++g) out[3 * i + g] = parity(reg & kGenerators[g]);
    state = reg >> 1;
  }
  return out;
}

// Soft Viterbi: soft[i] > 0 favours coded bit 0. Maximises the correlation; the tail forces
// the end state to 0.
std::uint32_t viterbi_decode(const std::array<double, kCodedBits>& soft) {
  constexpr int kStates = 64, kSteps = kPayloadBits + kTail;
  constexpr double kNone = -1e300;
  std::array<double, kStates> metric;
  metric.fill(kNone);
  metric[0] = 0;
  std::vector<std::array<unsigned char, kStates>> from(kSteps);  // previous state of each survivor
  std::vector<std::array<unsigned char, kStates>> input(kSteps);
  for (int i = 0; i < kSteps; ++i) {
    std::array<double, kStates> next;
    next.fill(kNone);
    for (unsigned s = 0; s < kStates; ++s) {
      if (metric[s] == kNone) continue;
      for (unsigned bit = 0; bit < (i < kPayloadBits ? 2u : 1u); ++bit) {
        const unsigned reg = (bit << 6) | s, ns = reg >> 1;
        double m = metric[s];
        for (int g = 0; g < 3; ++g) m += parity(reg & kGenerators[g]) ? -soft[3 * i + g] : soft[3 * i + g];
        if (m > next[ns]) {
          next[ns] = m;
          from[i][ns] = static_cast<unsigned char>(s);
          input[i][ns] = static_cast<unsigned char>(bit);
        }
      }
    }
    metric = next;
  }
  std::uint32_t payload = 0;
  unsigned s = 0;
  for (int i = kSteps - 1; i >= 0; --i) {
    if (i < kPayloadBits && input[i][s]) payload |= 1u << (31 - i);
    s = from[i][s];
  }
  return payload;
}

}  // namespace watermark_scheme

std::uint32_t watermark_payload(const WatermarkKey& key, const std::string& consent_id, const std::string& output_id,
                                std::uint64_t segment) {
  watermark_scheme::ensure_sodium();
  // Length-prefixed fields under a domain tag, so no two (consent, output, segment) triples
  // share an HMAC input.
  std::vector<unsigned char> msg;
  auto put_u64 = [&](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) msg.push_back(static_cast<unsigned char>(v >> (8 * i)));
  };
  auto put_str = [&](const std::string& s) {
    put_u64(s.size());
    msg.insert(msg.end(), s.begin(), s.end());
  };
  put_str("dubkit watermark payload v1");
  put_str(consent_id);
  put_str(output_id);
  put_u64(segment);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.bytes.data(), key.bytes.size());
  crypto_auth_hmacsha256_update(&st, msg.data(), msg.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return (std::uint32_t{mac[0]} << 24) | (std::uint32_t{mac[1]} << 16) | (std::uint32_t{mac[2]} << 8) | mac[3];
}

WatermarkKey watermark_key_from_hex(const std::string& hex) {
  WatermarkKey key;
  std::size_t len = 0;
  if (hex.size() != 64 ||
      sodium_hex2bin(key.bytes.data(), key.bytes.size(), hex.c_str(), hex.size(), nullptr, &len, nullptr) != 0 ||
      len != key.bytes.size())
    throw InvalidArgument("watermark key must be 64 hex digits (32 bytes)");
  return key;
}

}  // namespace dubkit
