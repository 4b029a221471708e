// SplitMix64: a tiny generator with a fixed definition, so a seed gives the same sequence on every
// platform and standard library (std::shuffle and the std distributions differ between them).
#pragma once
#include <cstddef>
#include <cstdint>

namespace moewb {

class SplitMix64 {
public:
    explicit SplitMix64(uint64_t seed) : m_state(seed) {}
    uint64_t next()
    {
        uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n) (modulo bias below 2^-40 for the sizes used here).
    uint64_t below(uint64_t n) { return next() % n; }
    // Uniform in [0, 1) with 53 bits.
    double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

private:
    uint64_t m_state;
};

} // namespace moewb
