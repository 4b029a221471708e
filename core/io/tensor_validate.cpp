// Checking a checkpoint's tensors against what its config.json describes.
#include "core/io/error.h"
#include "core/io/model_spec_detail.h"
#include "core/io/tensor_layout.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <unordered_map>

namespace moewb {

ExpertLayout detectExpertLayout(const ModelSpec& spec, const TensorCatalog& catalog)
{
    for (int i : spec.moeLayerIndices())
        if (catalog.tensors.count(fusedGateUpName(spec, i)))
            return ExpertLayout::FusedV5;
    return ExpertLayout::PerExpert;
}

namespace {

std::string shapeText(const std::vector<int64_t>& shape)
{
    return fmt::format("[{}]", fmt::join(shape, ","));
}

// "model.layers.<i>." prefix -> i.
std::optional<int> layerOf(std::string_view name)
{
    constexpr std::string_view kPrefix = "model.layers.";
    if (name.substr(0, kPrefix.size()) != kPrefix)
        return std::nullopt;
    name.remove_prefix(kPrefix.size());
    int value = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
    if (ec != std::errc() || end == name.data() || end == name.data() + name.size() || *end != '.')
        return std::nullopt;
    return value;
}

// "....experts.<e>...." -> e.
std::optional<int> expertOf(std::string_view name)
{
    constexpr std::string_view kExperts = ".experts.";
    auto pos = name.find(kExperts);
    if (pos == std::string_view::npos)
        return std::nullopt;
    name.remove_prefix(pos + kExperts.size());
    int value = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
    if (ec != std::errc() || end == name.data())
        return std::nullopt;
    return value;
}

// Why the config expects a tensor, for "is missing" messages.
std::string reasonFor(const ModelSpec& spec, const ExpectedTensor& t)
{
    const auto names = detail::fieldNames(spec.arch);
    if (t.component == Component::LmHead)
        return "tie_word_embeddings is false";
    if (t.expert >= 0)
        return fmt::format(
            "config says {}={}", names.experts, spec.layers[static_cast<size_t>(t.layer)].numExperts);
    if (t.layer >= 0)
        return fmt::format("config says num_hidden_layers={}, layer {} is {}", spec.numLayers, t.layer,
            spec.layers[static_cast<size_t>(t.layer)].kind == LayerKind::Moe ? "MoE" : "dense");
    return "every checkpoint has it";
}

std::string shapeMismatch(const ExpectedTensor& t, const CatalogTensor& actual)
{
    if (actual.shape.size() != t.shape.size())
        return fmt::format("{}: tensor '{}' has shape {}, config expects {}", actual.file, t.name,
            shapeText(actual.shape), shapeText(t.shape));
    for (size_t k = 0; k < t.shape.size(); ++k)
        if (actual.shape[k] != t.shape[k])
            return fmt::format("{}: tensor '{}' has shape {}, config says {}={}", actual.file, t.name,
                shapeText(actual.shape), t.dimSource[k], t.shape[k]);
    return {};
}

} // namespace

CheckpointValidation validateCheckpoint(const ModelSpec& spec, const TensorCatalog& catalog)
{
    CheckpointValidation result;
    result.source = catalog.source;
    result.layout = detectExpertLayout(spec, catalog);
    const auto expected = expectedTensors(spec, result.layout);
    std::unordered_map<std::string_view, const ExpectedTensor*> byName;
    byName.reserve(expected.size());
    for (const auto& t : expected)
        byName.emplace(t.name, &t);

    std::vector<std::string> errors;
    for (const auto& t : expected) {
        auto it = catalog.tensors.find(t.name);
        if (it == catalog.tensors.end()) {
            if (!t.optional)
                errors.push_back(fmt::format(
                    "{}: tensor '{}' is missing ({})", catalog.source, t.name, reasonFor(spec, t)));
            continue;
        }
        ++result.tensorsChecked;
        if (auto problem = shapeMismatch(t, it->second); !problem.empty())
            errors.push_back(std::move(problem));
    }

    const auto names = detail::fieldNames(spec.arch);
    for (const auto& [name, info] : catalog.tensors) {
        auto layer = layerOf(name);
        if (layer && *layer >= result.checkpointLayers)
            result.checkpointLayers = *layer + 1;
        if (byName.count(name) || isIgnorableTensor(name))
            continue;
        auto expert = expertOf(name);
        if (layer && expert && *layer >= 0 && *layer < spec.numLayers) {
            const auto& l = spec.layers[static_cast<size_t>(*layer)];
            if (l.kind == LayerKind::Moe && *expert >= l.numExperts) {
                errors.push_back(
                    fmt::format("{}: tensor '{}' belongs to expert {}, but config says {}={} (experts 0..{})",
                        info.file, name, *expert, names.experts, l.numExperts, l.numExperts - 1));
                continue;
            }
        }
        std::string why;
        if (layer && (*layer < 0 || *layer >= spec.numLayers))
            why = fmt::format(" (config says num_hidden_layers={})", spec.numLayers);
        result.warnings.push_back(
            fmt::format("{}: unexpected tensor '{}' {}{}", info.file, name, shapeText(info.shape), why));
    }

    if (!errors.empty()) {
        constexpr size_t kShown = 10;
        std::string message = errors.front();
        for (size_t k = 1; k < errors.size() && k < kShown; ++k)
            message += "\n" + errors[k];
        if (errors.size() > kShown)
            message += fmt::format("\n(and {} more problems)", errors.size() - kShown);
        throw Error(message);
    }
    return result;
}

std::string unusedLayersWarning(const ModelSpec& spec, const CheckpointValidation& validation, const std::string& config)
{
    if (validation.checkpointLayers <= spec.numLayers)
        return {};
    const int first = spec.numLayers, last = validation.checkpointLayers - 1;
    return fmt::format("{}: num_hidden_layers={}, but {} holds {} layers; the model runs with {} and the weights of "
                       "layer{} {} are not used",
        config, spec.numLayers, validation.source, validation.checkpointLayers, spec.numLayers,
        first == last ? "" : "s", first == last ? fmt::format("{}", first) : fmt::format("{}-{}", first, last));
}

} // namespace moewb
