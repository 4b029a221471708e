#include "core/model/tensor_load.h"

#include "core/io/error.h"

#include <torch/types.h>
#include <cstring>

namespace moewb {

torch::ScalarType toScalarType(DType dtype)
{
    switch (dtype) {
    case DType::Bool: return torch::kBool;
    case DType::U8: return torch::kUInt8;
    case DType::I8: return torch::kInt8;
    case DType::I16: return torch::kInt16;
    case DType::F16: return torch::kHalf;
    case DType::BF16: return torch::kBFloat16;
    case DType::I32: return torch::kInt32;
    case DType::F32: return torch::kFloat;
    case DType::F64: return torch::kDouble;
    case DType::I64: return torch::kInt64;
    default: break;
    }
    fail("dtype {} has no LibTorch equivalent here", dtypeName(dtype));
}

torch::Tensor loadTensor(const Checkpoint& checkpoint, const std::string& name, torch::ScalarType target,
                         const torch::Device& device)
{
    const TensorInfo& info = checkpoint.info(name);
    const auto bytes = checkpoint.bytes(name);
    std::vector<int64_t> shape(info.shape.begin(), info.shape.end());
    torch::Tensor host;
    if (info.dtype == DType::F8_E4M3 || info.dtype == DType::F8_E5M2) {
        host = torch::empty(shape, torch::kFloat);
        convertToFloat(info.dtype, bytes.data(), static_cast<size_t>(info.numel()), host.data_ptr<float>());
    } else {
        if (!isConvertible(info.dtype))
            fail("{}: tensor '{}' has dtype {}, which this build cannot compute with",
                 checkpoint.fileOf(name).path().string(), name, dtypeName(info.dtype));
        // Copy into an aligned buffer: safetensors data may be unaligned.
        host = torch::empty(shape, toScalarType(info.dtype));
        std::memcpy(host.data_ptr(), bytes.data(), bytes.size());
    }
    return host.to(device, target);
}

} // namespace moewb
