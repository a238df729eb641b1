#include "review/page_assets.hpp"

#include <algorithm>
#include <cstdint>

#include "provenance/crypto.hpp"

namespace dubkit {

const char* const kPageStyle = R"CSS(
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 16px 24px; color: #222; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; border-bottom: 1px solid #ddd; }
.sub { color: #666; margin: 0 0 12px; word-break: break-all; }
.videos { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.videos figure { margin: 0; } .videos figcaption { font-weight: 600; margin-bottom: 4px; }
video { width: 100%; background: #000; aspect-ratio: 16 / 9; }
.controls { display: flex; align-items: center; gap: 10px; margin: 8px 0; }
.controls input[type=range] { flex: 1; } .controls button { min-width: 80px; }
#clock { font-variant-numeric: tabular-nums; min-width: 120px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 3px 6px; vertical-align: top; text-align: left; }
th { background: #f2f2f2; } td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
#lines tr.line { cursor: pointer; } #lines tr.line:hover { background: #eef4fb; } #lines tr.current { background: #fff3cf; }
#lines td.text { max-width: 360px; white-space: pre-wrap; } #lines td.payloads { font-family: monospace; font-size: 12px; max-width: 220px; }
#lines tr.line-media td { border-top: none; padding-bottom: 10px; }
img.line-mel { display: block; width: 100%; max-width: 900px; height: auto; image-rendering: pixelated; }
svg.line-wave { display: block; width: 100%; max-width: 900px; height: 56px; }
#sync-timeline, #waveform { display: block; max-width: 100%; height: auto; }
#sync-timeline .span, #waveform .span { cursor: pointer; }
.fit-bad { color: #b03a2e; font-weight: 600; }
.status { font-weight: 700; padding: 1px 6px; border-radius: 3px; }
.status-valid { background: #d8f0d8; color: #1d5e1d; } .status-untrusted { background: #fbeccb; color: #7a5200; }
.status-tampered { background: #f6d3cf; color: #8a1f12; } .status-missing { background: #e8e8e8; color: #444; }
td ul { margin: 0; padding-left: 18px; }
.kv th { width: 200px; } .hash { font-family: monospace; font-size: 12px; word-break: break-all; }
.note { color: #8a5a00; }
)CSS";

const char* const kPageScript = R"JS(
(function () {
  "use strict";
  var a = document.getElementById("original"), b = document.getElementById("dubbed");
  var button = document.getElementById("playpause"), seek = document.getElementById("seek");
  var clock = document.getElementById("clock");
  // Seeks this script started, by video, with their target: the "seeking" that starts one is
  // not passed on (else the two would echo). A user's seek has another target. Mirroring at
  // "seeking" (not "seeked") lets both videos seek at once.
  var pending = new WeakMap();
  function other(v) { return v === a ? b : a; }
  function quiet(p) { if (p && typeof p.catch === "function") p.catch(function () {}); }
  function seekTo(v, t) {
    var d = isFinite(v.duration) ? v.duration : t;
    var target = Math.max(0, Math.min(t, d));
    if (Math.abs(v.currentTime - target) < 0.04) return;
    pending.set(v, target);
    v.currentTime = target;
  }
  [a, b].forEach(function (v) {
    v.addEventListener("play", function () { var o = other(v); if (o.paused && !o.ended) quiet(o.play()); });
    v.addEventListener("pause", function () { var o = other(v); if (!o.paused) o.pause(); });
    v.addEventListener("seeking", function () {
      var mine = pending.has(v) && Math.abs(pending.get(v) - v.currentTime) < 0.04;
      pending.delete(v);
      if (!mine) seekTo(other(v), v.currentTime);
    });
    v.addEventListener("ratechange", function () { var o = other(v); if (o.playbackRate !== v.playbackRate) o.playbackRate = v.playbackRate; });
  });
  function fmt(t) { var m = Math.floor(t / 60), s = t - 60 * m; return m + ":" + (s < 10 ? "0" : "") + s.toFixed(2); }
  var rows = Array.prototype.slice.call(document.querySelectorAll("#lines tr.line"));
  function update() {
    var t = b.currentTime, d = isFinite(b.duration) ? b.duration : 0;
    if (d > 0 && seek.max !== String(d)) seek.max = String(d);
    if (document.activeElement !== seek) seek.value = String(t);
    clock.textContent = fmt(t) + " / " + fmt(d);
    button.textContent = b.paused ? "Play" : "Pause";
    rows.forEach(function (r) {
      var on = t >= parseFloat(r.dataset.start) && t < parseFloat(r.dataset.end);
      r.classList.toggle("current", on);
    });
    // Keep the original within a few frames of the dubbed video while both play.
    if (!b.paused && !a.paused && Math.abs(a.currentTime - t) > 0.15 && !pending.has(a)) seekTo(a, t);
  }
  ["timeupdate", "play", "pause", "seeked", "loadedmetadata", "durationchange"].forEach(function (e) { b.addEventListener(e, update); });
  button.addEventListener("click", function () { if (b.paused) { quiet(b.play()); quiet(a.play()); } else { b.pause(); a.pause(); } });
  seek.addEventListener("input", function () { seekTo(b, parseFloat(seek.value)); seekTo(a, parseFloat(seek.value)); });
  Array.prototype.forEach.call(document.querySelectorAll("[data-start]"), function (el) {
    el.addEventListener("click", function () { var t = parseFloat(el.dataset.start); seekTo(b, t); seekTo(a, t); });
  });
  function countDecoded() {
    document.body.dataset.videosDecoded = String([a, b].filter(function (v) { return v.readyState >= 2; }).length);
  }
  [a, b].forEach(function (v) { v.addEventListener("loadeddata", countDecoded); });
  countDecoded();
  update();
  window.addEventListener("load", function () {
    var n = 0;
    Array.prototype.forEach.call(document.images, function (im) { if (im.complete && im.naturalWidth > 0) n++; });
    document.body.dataset.imagesLoaded = String(n);
  });
  document.body.dataset.ready = "1";
})();
)JS";

std::string page_script_hash() {
  const std::string hex = sha256_hex(kPageScript);
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  static const char* kDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k) v = (v << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? kDigits[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

}  // namespace dubkit
