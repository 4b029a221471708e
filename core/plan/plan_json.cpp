// JSON form of plans: stored in session files (as text) and in exported models' metadata. Reading
// is strict: an unknown step, a missing field or a wrong type is an error naming the step, because
// a silently half-read plan would export a different model than the one evaluated.
#include "core/plan/plan.h"

#include "core/io/error.h"

namespace moewb {
namespace {

using nlohmann::json;

constexpr int kPlanFormatVersion = 1;

template <class... Fs> struct Overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs> Overloaded(Fs...) -> Overloaded<Fs...>;

std::string svdModeName(SvdMode m)
{
    return m == SvdMode::Plain ? "plain" : "activation_aware";
}
std::string deltaKindName(DeltaKind k)
{
    return k == DeltaKind::Dense ? "dense" : "low_rank";
}

// Reads fields of one JSON object, naming `where` in every error.
class Reader {
public:
    Reader(const json& object, std::string where)
        : m_object(object)
        , m_where(std::move(where))
    {
        if (!m_object.is_object())
            fail("{}: expected a JSON object", m_where);
    }

    template <typename T> T get(const char* key) const
    {
        const auto it = m_object.find(key);
        if (it == m_object.end())
            fail("{}: missing field '{}'", m_where, key);
        try {
            return it->get<T>();
        } catch (const json::exception&) {
            fail("{}: field '{}' has the wrong type ({})", m_where, key, it->type_name());
        }
    }

    template <typename T> T get(const char* key, T fallback) const
    {
        return m_object.contains(key) ? get<T>(key) : fallback;
    }

    const json& raw(const char* key) const
    {
        if (!m_object.contains(key))
            fail("{}: missing field '{}'", m_where, key);
        return m_object.at(key);
    }

    const std::string& where() const { return m_where; }

private:
    const json& m_object;
    std::string m_where;
};

template <typename Enum>
Enum parseEnum(const std::string& text, std::initializer_list<std::pair<const char*, Enum>> names,
    const std::string& where, const char* field)
{
    for (const auto& [name, value] : names)
        if (text == name)
            return value;
    fail("{}: unknown {} '{}'", where, field, text);
}

Proj parseMatrix(const std::string& text, const std::string& where)
{
    return parseEnum<Proj>(
        text, {{"gate", Proj::Gate}, {"up", Proj::Up}, {"down", Proj::Down}}, where, "matrix");
}

json stepToJson(const PlanStep& step)
{
    json j = {{"op", stepName(step)}};
    std::visit(Overloaded{[&](const RemoveExperts& s) {
                              j["layer"] = s.layer;
                              j["experts"] = s.experts;
                          },
                   [&](const FactorExperts& s) {
                       j["layer"] = s.layer;
                       j["experts"] = json::array();
                       for (const ExpertRank& r : s.ranks)
                           j["experts"].push_back(
                               {{"expert", r.expert}, {"rank", r.rank}, {"mode", svdModeName(r.mode)}});
                       if (!s.factors.empty())
                           j["factors"] = s.factors;
                   },
                   [&](const DropMoeSublayer& s) { j["layer"] = s.layer; },
                   [&](const DropBlock& s) { j["layer"] = s.layer; },
                   [&](const CondenseLayer& s) {
                       j["layer"] = s.layer;
                       j["kept_experts"] = s.keptExperts;
                       j["weights"] = s.weights;
                   },
                   [&](const SparsifyMatrix& s) {
                       j.update({{"layer", s.layer}, {"expert", s.expert}, {"matrix", matrixName(s.matrix)},
                           {"pattern", s.pattern}, {"mask_tensor", s.maskTensor}, {"non_zeros", s.nonZeros}});
                   },
                   [&](const ApplyDelta& s) {
                       j.update({{"parameter", s.parameter}, {"kind", deltaKindName(s.kind)},
                           {"tensors", s.tensors}, {"scale", s.scale}});
                   }},
        step);
    return j;
}

PlanStep stepFromJson(const json& j, const std::string& where)
{
    const Reader r(j, where);
    const std::string op = r.get<std::string>("op");
    const Reader s(j, where + " (" + op + ")");
    if (op == "remove_experts")
        return RemoveExperts{s.get<int>("layer"), s.get<std::vector<int>>("experts")};
    if (op == "factor_experts") {
        FactorExperts f{s.get<int>("layer"), {}, {}};
        const json& experts = s.raw("experts");
        if (!experts.is_array())
            fail("{}: field 'experts' must be an array", s.where());
        for (size_t i = 0; i < experts.size(); ++i) {
            const Reader e(experts[i], fmt::format("{}, experts[{}]", s.where(), i));
            const SvdMode mode = parseEnum<SvdMode>(e.get<std::string>("mode"),
                {{"plain", SvdMode::Plain}, {"activation_aware", SvdMode::ActivationAware}}, e.where(),
                "SVD mode");
            f.ranks.push_back({e.get<int>("expert"), e.get<int>("rank"), mode});
        }
        if (j.contains("factors"))
            f.factors = s.get<std::string>("factors");
        return f;
    }
    if (op == "drop_moe_sublayer")
        return DropMoeSublayer{s.get<int>("layer")};
    if (op == "drop_block")
        return DropBlock{s.get<int>("layer")};
    if (op == "condense_layer")
        return CondenseLayer{s.get<int>("layer"), s.get<std::vector<int>>("kept_experts"),
            s.get<std::vector<double>>("weights")};
    if (op == "sparsify_matrix")
        return SparsifyMatrix{s.get<int>("layer"), s.get<int>("expert"),
            parseMatrix(s.get<std::string>("matrix"), s.where()), s.get<std::string>("pattern"),
            s.get<std::string>("mask_tensor"), s.get<int64_t>("non_zeros")};
    if (op == "apply_delta") {
        const DeltaKind kind = parseEnum<DeltaKind>(s.get<std::string>("kind"),
            {{"dense", DeltaKind::Dense}, {"low_rank", DeltaKind::LowRank}}, s.where(), "delta kind");
        return ApplyDelta{s.get<std::string>("parameter"), kind, s.get<std::vector<std::string>>("tensors"),
            s.get<double>("scale", 1.0)};
    }
    fail("{}: unknown step '{}'", where, op);
}

} // namespace

std::string stepName(const PlanStep& step)
{
    return std::visit(Overloaded{[](const RemoveExperts&) { return "remove_experts"; },
                          [](const FactorExperts&) { return "factor_experts"; },
                          [](const DropMoeSublayer&) { return "drop_moe_sublayer"; },
                          [](const DropBlock&) { return "drop_block"; },
                          [](const CondenseLayer&) { return "condense_layer"; },
                          [](const SparsifyMatrix&) { return "sparsify_matrix"; },
                          [](const ApplyDelta&) { return "apply_delta"; }},
        step);
}

std::string matrixName(Proj matrix)
{
    switch (matrix) {
    case Proj::Gate:
        return "gate";
    case Proj::Up:
        return "up";
    case Proj::Down:
        return "down";
    }
    return "?";
}

json planToJson(const Plan& plan)
{
    json steps = json::array();
    for (const PlanStep& step : plan.steps)
        steps.push_back(stepToJson(step));
    return {{"format", "moewb-plan"}, {"version", kPlanFormatVersion}, {"name", plan.name},
        {"method", plan.method}, {"parameters", plan.parameters}, {"steps", std::move(steps)}};
}

Plan planFromJson(const json& j, const std::string& source)
{
    const Reader r(j, source);
    if (r.get<std::string>("format") != "moewb-plan")
        fail("{}: not a MoE Workbench plan (format '{}')", source, r.get<std::string>("format"));
    const int version = r.get<int>("version");
    if (version > kPlanFormatVersion)
        fail("{}: plan format version {} is newer than this build supports ({}); update MoE Workbench",
            source, version, kPlanFormatVersion);
    Plan plan;
    plan.name = r.get<std::string>("name");
    plan.method = r.get<std::string>("method", "");
    plan.parameters = j.contains("parameters") ? j.at("parameters") : json::object();
    const json& steps = r.raw("steps");
    if (!steps.is_array())
        fail("{}: field 'steps' must be an array", source);
    for (size_t i = 0; i < steps.size(); ++i)
        plan.steps.push_back(stepFromJson(steps[i], fmt::format("{}: step {}", source, i + 1)));
    return plan;
}

std::string planToText(const Plan& plan)
{
    return planToJson(plan).dump(2);
}

Plan planFromText(const std::string& text, const std::string& source)
{
    json j;
    try {
        j = json::parse(text);
    } catch (const json::parse_error& e) {
        fail("{}: invalid JSON: {}", source, e.what());
    }
    return planFromJson(j, source);
}

} // namespace moewb
