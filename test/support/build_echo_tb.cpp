// Drives janela_top's uart_rx with bytes and decodes uart_tx, for the gate-level test of
// the build flow's netlist. Usage: tb <bit_cycles> <byte>... ; prints the bytes it heard.
#include <cstdio>
#include <cstdlib>
#include <vector>
#include "Vjanela_top.h"
#include "verilated.h"

int main(int argc, char** argv) {
    Verilated::commandArgs(argc, argv);
    if (argc < 2) return 2;
    const int bit = std::atoi(argv[1]);
    std::vector<int> line;  // uart_rx level per cycle
    for (int i = 0; i < 20 * bit; i++) line.push_back(1);
    for (int a = 2; a < argc; a++) {
        int byte = static_cast<int>(std::strtol(argv[a], nullptr, 0));
        int frame[10] = {0};
        for (int b = 0; b < 8; b++) frame[1 + b] = (byte >> b) & 1;
        frame[9] = 1;
        for (int b = 0; b < 10; b++)
            for (int c = 0; c < bit; c++) line.push_back(frame[b]);
        for (int c = 0; c < 2 * bit; c++) line.push_back(1);
    }
    for (int i = 0; i < 40 * bit * (argc - 1); i++) line.push_back(1);

    Vjanela_top* top = new Vjanela_top;
    top->clk = 0;
    top->uart_rx = 1;
    top->eval();
    int state = -1, count = 0, shift = 0, prev = 1;
    std::vector<int> heard;
    for (size_t t = 0; t < line.size(); t++) {
        top->uart_rx = line[t];
        top->clk = 1;
        top->eval();
        top->clk = 0;
        top->eval();
        const int tx = top->uart_tx & 1;
        if (state < 0) {
            if (prev == 1 && tx == 0) { state = 0; count = bit / 2; }
        } else if (--count <= 0) {
            count = bit;
            if (state >= 1 && state <= 8) shift |= tx << (state - 1);
            if (state == 9) { heard.push_back(tx ? shift : -1); shift = 0; state = -1; prev = tx; continue; }
            state++;
        }
        prev = tx;
    }
    for (size_t i = 0; i < heard.size(); i++) std::printf(i ? " %d" : "%d", heard[i]);
    std::printf("\n");
    top->final();
    delete top;
    return 0;
}
