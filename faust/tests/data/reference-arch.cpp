// Minimal FAUST architecture file for kr-faust's agreement test (tests/agreement.rs).
//
// Built as: faust -a reference-arch.cpp -cn mydsp prog.dsp -o prog.cpp && g++ -O1 prog.cpp
// The program runs the DSP once at 48 kHz, controls at their initial values, for N frames
// (argv[1], default 4096), with a unit impulse at frame 0 on every input (silence if none), and
// writes to stdout: i32 inputs, i32 outputs, then each output channel's N samples as
// little-endian f32, channel after channel.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "faust/dsp/dsp.h"
#include "faust/gui/UI.h"
#include "faust/gui/meta.h"

<<includeIntrinsic>>

<<includeclass>>

int main(int argc, char* argv[])
{
    int frames = argc > 1 ? std::atoi(argv[1]) : 4096;
    mydsp d;
    d.init(48000);
    int ins = d.getNumInputs();
    int outs = d.getNumOutputs();
    std::vector<std::vector<FAUSTFLOAT>> in(ins, std::vector<FAUSTFLOAT>(frames, 0));
    std::vector<std::vector<FAUSTFLOAT>> out(outs, std::vector<FAUSTFLOAT>(frames, 0));
    std::vector<FAUSTFLOAT*> inp, outp;
    for (auto& c : in) { c[0] = 1; inp.push_back(c.data()); }
    for (auto& c : out) outp.push_back(c.data());
    d.compute(frames, inp.data(), outp.data());
    int32_t shape[2] = {ins, outs};
    std::fwrite(shape, sizeof shape, 1, stdout);
    for (auto& c : out) std::fwrite(c.data(), sizeof(FAUSTFLOAT), frames, stdout);
    return 0;
}
