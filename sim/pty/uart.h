// Bit-level UART models (8N1, LSB first) that sit on janela_top's uart_rx and uart_tx pins.
// Shared by the pty harness and the link testbench, so both see the line alike.
#pragma once

#include <cstdint>
#include <deque>

namespace janela {

// Drives a line from queued bytes, back to back. The bit period is kept in 1/256 cycles,
// so a test can send at a slightly wrong baud.
class UartSender {
 public:
  explicit UartSender(uint32_t bitCycles) : period256_(bitCycles * 256u) {}

  void setPeriod256(uint32_t period256) { period256_ = period256 ? period256 : 1; }
  // stopBit = false sends a byte with a framing error.
  void push(uint8_t byte, bool stopBit = true) { queue_.push_back({byte, stopBit}); }
  bool busy() const { return active_ || !queue_.empty(); }
  bool pending() const { return !queue_.empty(); }
  uint64_t bytesSent() const { return bytesSent_; }

  // The line level for this cycle; advances one cycle.
  int step() {
    if (!active_) {
      if (queue_.empty()) return 1;
      current_ = queue_.front();
      queue_.pop_front();
      active_ = true;
      elapsed_ = 0;
    }
    const uint64_t bit = static_cast<uint64_t>(elapsed_) * 256u / period256_;
    int level;
    if (bit == 0) level = 0;
    else if (bit <= 8) level = (current_.byte >> (bit - 1)) & 1;
    else level = current_.stopBit ? 1 : 0;
    ++elapsed_;
    if (static_cast<uint64_t>(elapsed_) * 256u >= static_cast<uint64_t>(period256_) * 10u) {
      active_ = false;
      ++bytesSent_;
    }
    return level;
  }

 private:
  struct Item {
    uint8_t byte;
    bool stopBit;
  };
  std::deque<Item> queue_;
  Item current_{0, true};
  bool active_ = false;
  uint32_t elapsed_ = 0;
  uint32_t period256_;
  uint64_t bytesSent_ = 0;
};

// Decodes a line sampled once per cycle: start bit on a falling edge, each bit sampled
// at its middle, like the gateware's receiver.
class UartReceiver {
 public:
  explicit UartReceiver(uint32_t bitCycles) : bitCycles_(bitCycles) {}

  bool idle() const { return !active_; }
  uint64_t framingErrors() const { return framingErrors_; }

  // Feeds one cycle's level; returns true when `out` holds a completed byte.
  bool step(int level, uint8_t& out) {
    bool done = false;
    if (!active_) {
      if (previous_ == 1 && level == 0) {
        active_ = true;
        elapsed_ = 0;
        shift_ = 0;
      }
    } else {
      ++elapsed_;
      if (elapsed_ % bitCycles_ == bitCycles_ / 2) {
        const uint32_t bit = elapsed_ / bitCycles_;
        if (bit == 0) {
          if (level != 0) active_ = false;  // a glitch
        } else if (bit <= 8) {
          shift_ |= static_cast<uint8_t>(level << (bit - 1));
        } else {
          active_ = false;
          if (level) {
            out = shift_;
            done = true;
          } else {
            ++framingErrors_;
          }
        }
      }
    }
    previous_ = level;
    return done;
  }

 private:
  uint32_t bitCycles_;
  bool active_ = false;
  int previous_ = 1;
  uint32_t elapsed_ = 0;
  uint8_t shift_ = 0;
  uint64_t framingErrors_ = 0;
};

}  // namespace janela
