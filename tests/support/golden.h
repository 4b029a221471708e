// Access to the golden reference sets under tests/reference/golden/<name>/ (produced by
// tests/reference/gen_golden_models.py with transformers in float64).
#pragma once
#include "core/io/safetensors.h"
#include "core/model/tensor_load.h"
#include "support/paths.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <fstream>
#include <memory>
#include <string>

namespace moewb::test {

class GoldenSet {
public:
    explicit GoldenSet(const std::string& name)
        : m_dir(referenceDir() / "golden" / name), m_file(SafetensorsFile::open(m_dir / "golden.safetensors"))
    {
        std::ifstream meta(m_dir / "golden.json");
        m_meta = nlohmann::json::parse(meta);
    }
    const std::filesystem::path& dir() const { return m_dir; }
    const nlohmann::json& meta() const { return m_meta; }
    bool has(const std::string& name) const { return m_file->find(name) != nullptr; }
    // Loads a golden tensor (copied, in its stored dtype).
    torch::Tensor tensor(const std::string& name) const
    {
        const TensorInfo* info = m_file->find(name);
        if (!info)
            throw std::runtime_error("golden tensor missing: " + name);
        auto t = torch::empty(std::vector<int64_t>(info->shape.begin(), info->shape.end()), toScalarType(info->dtype));
        auto bytes = m_file->bytes(*info);
        std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
        return t;
    }

private:
    std::filesystem::path m_dir;
    std::unique_ptr<SafetensorsFile> m_file;
    nlohmann::json m_meta;
};

} // namespace moewb::test
