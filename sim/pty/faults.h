// Fault injection on the simulated line: drops or flips whole bytes, reproducibly from a seed.
#pragma once

#include <cstdint>

namespace janela {

class Faults {
 public:
  Faults(double drop, double flip, uint64_t seed) : drop_(drop), flip_(flip), state_(seed) {}

  // Returns false when the byte is lost; may flip one of its bits.
  bool apply(uint8_t& byte) {
    if (drop_ > 0 && uniform() < drop_) {
      ++dropped_;
      return false;
    }
    if (flip_ > 0 && uniform() < flip_) {
      byte ^= static_cast<uint8_t>(1u << (next() % 8));
      ++flipped_;
    }
    return true;
  }

  uint64_t dropped() const { return dropped_; }
  uint64_t flipped() const { return flipped_; }

 private:
  // splitmix64: tiny, and the same sequence on every platform for a seed.
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

  double drop_;
  double flip_;
  uint64_t state_;
  uint64_t dropped_ = 0;
  uint64_t flipped_ = 0;
};

}  // namespace janela
