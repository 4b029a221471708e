// Session: large arrays (activations, tensor store) and staleness checks.
#include "core/io/error.h"
#include "core/session/h5_util.h"
#include "core/session/session.h"
#include "core/session/session_arrays.h"

#include <algorithm>
#include <cstring>

namespace moewb {
namespace {

template <typename T> constexpr ElementType elementTypeOf();
template <> constexpr ElementType elementTypeOf<float>()
{
    return ElementType::F32;
}
template <> constexpr ElementType elementTypeOf<double>()
{
    return ElementType::F64;
}
template <> constexpr ElementType elementTypeOf<uint16_t>()
{
    return ElementType::BF16;
}
template <> constexpr ElementType elementTypeOf<uint8_t>()
{
    return ElementType::U8;
}
template <> constexpr ElementType elementTypeOf<int32_t>()
{
    return ElementType::I32;
}
template <> constexpr ElementType elementTypeOf<int64_t>()
{
    return ElementType::I64;
}

// bf16 is the upper half of an fp32: widening is exact.
float widenBf16(uint16_t bits)
{
    const uint32_t wide = uint32_t{bits} << 16;
    float value;
    std::memcpy(&value, &wide, sizeof value);
    return value;
}

std::string sectionOf(const std::string& key)
{
    return key.substr(0, key.find('/'));
}

} // namespace

template <typename T> Array<T> Session::readArray(const std::string& key, const char* what) const
{
    h5::Lock lock;
    const ArrayInfo* info = m_arrays->info(key);
    const std::string name = key.substr(key.find('/') + 1);
    if (!info)
        fail("{}: no {} named '{}'", displayName(), what, name);
    AnyArray any;
    if (m_arrays->inMemory(key)) {
        any = m_arrays->read(key, nullptr);
    } else {
        checkFileUnchanged();
        h5::File file = h5::File::open(m_path, displayName());
        any = m_arrays->read(key, &file.root());
        file.close();
    }
    if (auto* values = std::get_if<Array<T>>(&any))
        return std::move(*values);
    fail("{}: {} '{}' holds {} elements", displayName(), what, name, elementTypeName(info->type));
}

void Session::putActivation(const std::string& name, Array<float> values, CacheStamp stamp)
{
    m_arrays->put(
        "activations/" + name, ElementType::F32, std::move(values), stamp.empty() ? currentStamp() : stamp);
}

void Session::putActivationBf16(const std::string& name, Array<uint16_t> bits, CacheStamp stamp)
{
    m_arrays->put(
        "activations/" + name, ElementType::BF16, std::move(bits), stamp.empty() ? currentStamp() : stamp);
}

Array<float> Session::activation(const std::string& name) const
{
    const ArrayInfo* info = m_arrays->info("activations/" + name);
    if (!info || info->type != ElementType::BF16)
        return readArray<float>("activations/" + name, "cached activation");
    const Array<uint16_t> bits = readArray<uint16_t>("activations/" + name, "cached activation");
    Array<float> out{bits.shape, std::vector<float>(bits.data.size())};
    std::transform(bits.data.begin(), bits.data.end(), out.data.begin(), widenBf16);
    return out;
}

Array<uint16_t> Session::activationBf16(const std::string& name) const
{
    return readArray<uint16_t>("activations/" + name, "cached activation");
}

std::vector<std::string> Session::activationNames() const
{
    return m_arrays->names("activations");
}

template <typename T> void Session::putTensor(const std::string& name, Array<T> values, CacheStamp stamp)
{
    m_arrays->put(
        "tensors/" + name, elementTypeOf<T>(), std::move(values), stamp.empty() ? currentStamp() : stamp);
}

template <typename T> Array<T> Session::tensor(const std::string& name) const
{
    return readArray<T>("tensors/" + name, "tensor");
}

#define MOEWB_SESSION_TENSOR(T)                                                                              \
    template void Session::putTensor<T>(const std::string&, Array<T>, CacheStamp);                           \
    template Array<T> Session::tensor<T>(const std::string&) const;
MOEWB_SESSION_TENSOR(float)
MOEWB_SESSION_TENSOR(double)
MOEWB_SESSION_TENSOR(uint16_t)
MOEWB_SESSION_TENSOR(uint8_t)
MOEWB_SESSION_TENSOR(int32_t)
MOEWB_SESSION_TENSOR(int64_t)
#undef MOEWB_SESSION_TENSOR

std::vector<std::string> Session::tensorNames() const
{
    return m_arrays->names("tensors");
}

std::optional<ArrayInfo> Session::arrayInfo(const std::string& fullName) const
{
    const ArrayInfo* info = m_arrays->info(fullName);
    return info ? std::optional<ArrayInfo>(*info) : std::nullopt;
}

void Session::removeArray(const std::string& fullName)
{
    m_arrays->remove(fullName);
}

std::vector<std::string> Session::missingTensors(const Plan& plan) const
{
    std::vector<std::string> missing;
    for (const std::string& name : plan.tensorReferences())
        if (!m_arrays->info("tensors/" + name))
            missing.push_back(name);
    return missing;
}

void Session::verify() const
{
    for (const std::string& key : m_arrays->keys()) {
        if (m_arrays->inMemory(key))
            continue;
        switch (m_arrays->info(key)->type) {
        case ElementType::F32:
            readArray<float>(key, "array");
            break;
        case ElementType::F64:
            readArray<double>(key, "array");
            break;
        case ElementType::BF16:
            readArray<uint16_t>(key, "array");
            break;
        case ElementType::U8:
            readArray<uint8_t>(key, "array");
            break;
        case ElementType::I32:
            readArray<int32_t>(key, "array");
            break;
        case ElementType::I64:
            readArray<int64_t>(key, "array");
            break;
        }
    }
}

void Session::requireModel(const std::string& modelIdentityHash, const std::filesystem::path& modelPath) const
{
    if (!m_source || m_source->identityHash.empty() || m_source->identityHash == modelIdentityHash)
        return;
    const std::string name = displayName();
    fail("{}: not the checkpoint {} was made from, which is {} (identity hash {}; this one {}). {} is left "
         "unchanged; to start over with this model, use another session file (or delete {})",
         modelPath.string(), name, m_source->path.string(), m_source->identityHash, modelIdentityHash, name, name);
}

CompatibilityReport Session::checkCompatibility(const std::string& model, const std::string& data) const
{
    CompatibilityReport report;
    report.modelChanged = m_source && m_source->identityHash != model;
    report.dataChanged = m_calibration && m_calibration->dataHash != data;
    // Calibration-derived results need both to match; plans, evaluations and tensors only the model.
    const auto dataStale = [&](const CacheStamp& s) { return s.modelHash != model || s.dataHash != data; };
    const auto modelStale = [&](const CacheStamp& s) { return s.modelHash != model; };
    auto& stale = report.staleSections;
    if (m_routerStats && dataStale(m_routerStats->stamp))
        stale.push_back("router_stats");
    if (m_importance && dataStale(m_importance->stamp))
        stale.push_back("importance");
    if (m_allocation && dataStale(m_allocation->stamp))
        stale.push_back("allocation");
    for (const auto& [layer, search] : m_searches)
        if (dataStale(search.stamp))
            stale.push_back(fmt::format("search/layer_{:03}", layer));
    if (m_blockSearch && dataStale(m_blockSearch->stamp))
        stale.push_back("blocks");
    for (const auto& [name, plan] : m_plans)
        if (modelStale(plan.stamp))
            stale.push_back("plans/" + name);
    for (const auto& [name, evaluation] : m_evaluations)
        if (modelStale(evaluation.stamp))
            stale.push_back("evaluations/" + name);
    for (const std::string& key : m_arrays->keys()) {
        const CacheStamp& s = m_arrays->info(key)->stamp;
        if (sectionOf(key) == "activations" ? dataStale(s) : modelStale(s))
            stale.push_back(key);
    }
    return report;
}

void Session::dropStale(const CompatibilityReport& report)
{
    for (const std::string& section : report.staleSections) {
        const std::string head = sectionOf(section);
        const std::string rest
            = section.size() > head.size() ? section.substr(head.size() + 1) : std::string();
        if (head == "router_stats")
            m_routerStats.reset();
        else if (head == "importance")
            m_importance.reset();
        else if (head == "allocation")
            m_allocation.reset();
        else if (head == "blocks")
            m_blockSearch.reset();
        else if (head == "search")
            std::erase_if(
                m_searches, [&](const auto& s) { return fmt::format("layer_{:03}", s.first) == rest; });
        else if (head == "plans")
            m_plans.erase(rest);
        else if (head == "evaluations")
            m_evaluations.erase(rest);
        else if (head == "activations" || head == "tensors")
            m_arrays->remove(section);
    }
}

bool CompatibilityReport::isStale(const std::string& section) const
{
    return std::any_of(staleSections.begin(), staleSections.end(),
        [&](const std::string& s) { return s == section || s.starts_with(section + "/"); });
}

std::string CompatibilityReport::describe() const
{
    std::string text;
    if (modelChanged)
        text += "The model differs from the one this session was made with. ";
    if (dataChanged)
        text += "The calibration data differs from the session's. ";
    if (staleSections.empty())
        return text + "Every cached result still applies.";
    text += fmt::format("{} cached result{} no longer appl{} and will be recomputed:", staleSections.size(),
        staleSections.size() == 1 ? "" : "s", staleSections.size() == 1 ? "ies" : "y");
    const size_t shown = std::min<size_t>(staleSections.size(), 8);
    for (size_t i = 0; i < shown; ++i)
        text += (i ? ", " : " ") + staleSections[i];
    if (shown < staleSections.size())
        text += fmt::format(" and {} more", staleSections.size() - shown);
    return text + ".";
}

} // namespace moewb
