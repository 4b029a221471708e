// One of a SwiGLU MLP's three matrices by its name in plans and tensor layouts (Proj: gate, up,
// down). Kept out of layer_weights.h, which nearly every core file includes.
#pragma once
#include "core/io/tensor_layout.h"
#include "core/model/layer_weights.h"

namespace moewb {

inline Linear& projection(SwiGlu& mlp, Proj p)
{
    return p == Proj::Gate ? mlp.gate : p == Proj::Up ? mlp.up : mlp.down;
}

inline const Linear& projection(const SwiGlu& mlp, Proj p)
{
    return p == Proj::Gate ? mlp.gate : p == Proj::Up ? mlp.up : mlp.down;
}

} // namespace moewb
