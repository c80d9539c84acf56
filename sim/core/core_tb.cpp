// Test bench of janela_core: commands in on stdin, responses out on stdout, one line each.
//
//   in : "<op hex> <payload hex>"   e.g. "12 0100efbeadde00000000"  (payload may be empty;
//        cmd_len is the payload's length, cmd_data its first 15 bytes)
//        "reset"                    pulses rst and waits for the store to be cleared
//   out: "<response hex> <cycles>"  the bytes of rsp_data up to rsp_last, and the clock
//        cycles from the accepting edge until cmd_ready is high again
//        "reset <cycles>"
//        "error <message>"          interface contract broken (then exit 2)
//
// argv[1]: most cycles one command may take (default 10 000 000).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "Vjanela_core.h"
#include "verilated.h"

static Vjanela_core *core;
static uint64_t max_cycles = 10000000;

static void tick() {
    core->clk = 0;
    core->eval();
    core->clk = 1;
    core->eval();
}

[[noreturn]] static void fail(const std::string &message) {
    std::printf("error %s\n", message.c_str());
    std::fflush(stdout);
    std::exit(2);
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static std::vector<uint8_t> parse_hex(const std::string &text) {
    if (text.size() % 2) fail("odd hex length: " + text);
    std::vector<uint8_t> bytes;
    for (size_t i = 0; i < text.size(); i += 2) {
        int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
        if (hi < 0 || lo < 0) fail("bad hex: " + text);
        bytes.push_back(static_cast<uint8_t>(hi << 4 | lo));
    }
    return bytes;
}

// Cycles until cmd_ready, no response byte allowed meanwhile.
static uint64_t wait_ready() {
    uint64_t cycles = 0;
    while (!core->cmd_ready) {
        if (core->rsp_valid) fail("response byte while no command is outstanding");
        if (++cycles > max_cycles) fail("cmd_ready never rose");
        tick();
    }
    return cycles;
}

static uint64_t reset() {
    core->cmd_valid = 0;
    core->rst = 1;
    tick();
    tick();
    core->rst = 0;
    return wait_ready();
}

static void execute(uint8_t op, const std::vector<uint8_t> &payload) {
    if (payload.size() > 255) fail("payload longer than 255 bytes");
    core->cmd_op = op;
    core->cmd_len = static_cast<uint8_t>(payload.size());
    for (int w = 0; w < 4; w++) core->cmd_data[w] = 0;
    for (size_t i = 0; i < payload.size() && i < 15; i++) core->cmd_data[i / 4] |= uint32_t(payload[i]) << (8 * (i % 4));
    core->cmd_valid = 1;
    // Cycle 1 accepts the command (cmd_ready is high); `cycles` counts the clock edges from
    // there until cmd_ready is seen high again: the cycles the command occupies the core.
    tick();
    core->cmd_valid = 0;
    uint64_t cycles = 1;
    std::string out;
    static const char *digits = "0123456789abcdef";
    for (;;) {
        if (core->cmd_ready) fail("cmd_ready rose before the response's last byte");
        if (core->rsp_valid) {
            out += digits[core->rsp_data >> 4];
            out += digits[core->rsp_data & 15];
            if (core->rsp_last) break;
        } else if (core->rsp_last) {
            fail("rsp_last without rsp_valid");
        }
        if (++cycles > max_cycles) fail("no rsp_last within the cycle limit");
        tick();
    }
    tick();
    cycles += 1 + wait_ready();
    std::printf("%s %llu\n", out.c_str(), static_cast<unsigned long long>(cycles));
}

int main(int argc, char **argv) {
    if (argc > 1) max_cycles = std::strtoull(argv[1], nullptr, 10);
    std::ios::sync_with_stdio(false);
    Verilated::debug(0);
    core = new Vjanela_core;
    core->clk = 0;
    core->cmd_valid = 0;
    reset();
    std::string line;
    while (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (line == "reset") {
            std::printf("reset %llu\n", static_cast<unsigned long long>(reset()));
        } else {
            size_t space = line.find(' ');
            std::vector<uint8_t> op = parse_hex(line.substr(0, space));
            if (op.size() != 1) fail("opcode must be one byte: " + line);
            execute(op[0], space == std::string::npos ? std::vector<uint8_t>() : parse_hex(line.substr(space + 1)));
        }
        // Flush only when no further command is already buffered: batches stay fast.
        if (std::cin.rdbuf()->in_avail() <= 0) std::fflush(stdout);
    }
    std::fflush(stdout);
    core->final();
    delete core;
    return 0;
}
