#include "core/search/genetic.h"

#include "core/io/splitmix.h"

#include "core/io/error.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <set>

namespace moewb {

uint64_t binomial(int n, int k)
{
    if (k < 0 || k > n)
        return 0;
    k = std::min(k, n - k);
    unsigned __int128 r = 1;
    for (int i = 1; i <= k; ++i) {
        r = r * static_cast<unsigned>(n - k + i) / static_cast<unsigned>(i);
        if (r > std::numeric_limits<uint64_t>::max())
            return std::numeric_limits<uint64_t>::max();
    }
    return static_cast<uint64_t>(r);
}

namespace {

using Set = std::vector<int>;

// The same sequence on every platform and library, so a seed reproduces a search.
using Rng = SplitMix64;

Set sample(const Set& pool, int count, Rng& rng)
{
    Set copy = pool;
    for (int i = 0; i < count; ++i)
        std::swap(copy[static_cast<size_t>(i)], copy[static_cast<size_t>(i) + rng.below(copy.size() - static_cast<size_t>(i))]);
    Set out(copy.begin(), copy.begin() + count);
    std::sort(out.begin(), out.end());
    return out;
}

Set outsiders(const Set& experts, const Set& set)
{
    Set out;
    std::set_difference(experts.begin(), experts.end(), set.begin(), set.end(), std::back_inserter(out));
    return out;
}

class Evaluator {
public:
    explicit Evaluator(const std::function<double(const Set&)>& f) : m_f(f) {}
    double operator()(const Set& s)
    {
        auto it = m_memo.find(s);
        if (it != m_memo.end())
            return it->second;
        return m_memo.emplace(s, m_f(s)).first->second;
    }
    int count() const { return static_cast<int>(m_memo.size()); }
    std::vector<Candidate> best(int k) const
    {
        std::vector<Candidate> all;
        for (const auto& [s, v] : m_memo)
            all.push_back({s, v});
        std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) { return a.fitness < b.fitness; });
        if (static_cast<int>(all.size()) > k)
            all.resize(static_cast<size_t>(k));
        return all;
    }

private:
    const std::function<double(const Set&)>& m_f;
    std::map<Set, double> m_memo;
};

GenerationStats statsOf(int generation, const std::vector<std::pair<double, Set>>& ranked, int evaluations)
{
    GenerationStats g;
    g.generation = generation;
    g.best = ranked.front().first;
    g.worst = ranked.back().first;
    double sum = 0.0;
    for (const auto& r : ranked)
        sum += r.first;
    g.mean = sum / static_cast<double>(ranked.size());
    g.bestSet = ranked.front().second;
    g.evaluations = evaluations;
    return g;
}

} // namespace

SearchResult searchLayer(const std::vector<int>& expertsIn, int prune,
                         const std::function<double(const std::vector<int>&)>& fitness, const GeneticOptions& options,
                         const std::function<bool(const GenerationStats&)>& onGeneration)
{
    Set experts = expertsIn;
    std::sort(experts.begin(), experts.end());
    const int n = static_cast<int>(experts.size());
    if (prune < 0 || prune > n)
        fail("cannot remove {} of {} experts", prune, n);
    if (options.population < 2 || options.generations < 1)
        fail("genetic search needs a population of at least 2 and at least 1 generation");
    SearchResult result;
    Evaluator eval(fitness);
    const uint64_t space = binomial(n, prune);

    if (prune == 0 || (!options.forceGenetic && space <= uint64_t(options.population) * uint64_t(options.generations))) {
        // Enumerate every subset in lexicographic order.
        result.exhaustive = true;
        std::vector<bool> pick(static_cast<size_t>(n), false);
        std::fill(pick.begin(), pick.begin() + prune, true);
        std::vector<std::pair<double, Set>> ranked;
        do {
            Set s;
            for (int i = 0; i < n; ++i)
                if (pick[static_cast<size_t>(i)])
                    s.push_back(experts[static_cast<size_t>(i)]);
            ranked.emplace_back(eval(s), s);
        } while (std::prev_permutation(pick.begin(), pick.end()));
        std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        result.history.push_back(statsOf(0, ranked, eval.count()));
        if (onGeneration && !onGeneration(result.history.back()))
            throw Cancelled();
        result.best = eval.best(options.keep);
        result.evaluations = eval.count();
        return result;
    }

    Rng rng(options.seed);
    const int population = static_cast<int>(std::min<uint64_t>(uint64_t(options.population), space));
    std::set<Set> seen;
    std::vector<Set> current;
    while (static_cast<int>(current.size()) < population) {
        Set s = sample(experts, prune, rng);
        if (seen.insert(s).second)
            current.push_back(s);
    }
    const int parents = std::max(2, static_cast<int>(options.parentFraction * population));
    for (int generation = 0; generation < options.generations; ++generation) {
        std::vector<std::pair<double, Set>> ranked;
        for (const auto& s : current)
            ranked.emplace_back(eval(s), s);
        std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        result.history.push_back(statsOf(generation, ranked, eval.count()));
        if (onGeneration && !onGeneration(result.history.back()))
            throw Cancelled();
        if (generation + 1 == options.generations)
            break;
        // Elitism: the best parents survive; children fill the rest, distinct within a generation.
        std::vector<Set> next;
        std::set<Set> inNext;
        for (int i = 0; i < parents && i < static_cast<int>(ranked.size()); ++i)
            if (inNext.insert(ranked[static_cast<size_t>(i)].second).second)
                next.push_back(ranked[static_cast<size_t>(i)].second);
        int attempts = 0;
        while (static_cast<int>(next.size()) < population && attempts < 20 * population) {
            ++attempts;
            const Set& a = ranked[rng.below(static_cast<size_t>(parents))].second;
            const Set& b = ranked[rng.below(static_cast<size_t>(parents))].second;
            Set pool;
            std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(pool));
            Set child = sample(pool, std::min<int>(prune, static_cast<int>(pool.size())), rng);
            while (static_cast<int>(child.size()) < prune) {  // union too small: top up
                Set out = outsiders(experts, child);
                child.push_back(out[rng.below(out.size())]);
                std::sort(child.begin(), child.end());
            }
            // Mutation: one guaranteed swap for a random outsider, further members with probability.
            Set out = outsiders(experts, child);
            if (!out.empty() && prune > 0) {
                for (int m = 0; m < prune && !out.empty(); ++m) {
                    if (m > 0 && rng.unit() >= options.mutationRate)
                        continue;
                    const size_t member = rng.below(child.size());
                    const size_t pickOut = rng.below(out.size());
                    std::swap(child[member], out[pickOut]);
                }
                std::sort(child.begin(), child.end());
            }
            if (inNext.insert(child).second)
                next.push_back(child);
        }
        current = std::move(next);
    }
    result.best = eval.best(options.keep);
    result.evaluations = eval.count();
    return result;
}

} // namespace moewb
