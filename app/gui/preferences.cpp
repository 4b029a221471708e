#include "app/gui/preferences.h"

#include "app/gui/method_form.h"

#include <QMainWindow>
#include <QSettings>

namespace moewb::gui {

namespace {
// Bumped when the docks change, so an old saved layout does not hide a new dock.
constexpr int kLayoutVersion = 2;
} // namespace

Preferences Preferences::load()
{
    QSettings s;
    Preferences p;
    s.beginGroup(QStringLiteral("preferences"));
    p.language = s.value(QStringLiteral("language"), p.language).toString();
    p.threads = s.value(QStringLiteral("threads"), p.threads).toInt();
    p.device = s.value(QStringLiteral("device"), p.device).toString();
    p.calibrationPath = s.value(QStringLiteral("calibrationPath"), p.calibrationPath).toString();
    p.samples = s.value(QStringLiteral("samples"), p.samples).toInt();
    p.sequenceLength = s.value(QStringLiteral("sequenceLength"), p.sequenceLength).toInt();
    p.calibrationSeed = s.value(QStringLiteral("calibrationSeed"), p.calibrationSeed).toULongLong();
    EvalSettings& e = p.evaluation;
    e.textPath = s.value(QStringLiteral("evalTextPath"), e.textPath).toString();
    e.windows = s.value(QStringLiteral("evalWindows"), e.windows).toInt();
    e.windowLength = s.value(QStringLiteral("evalWindowLength"), e.windowLength).toInt();
    e.tasksPath = s.value(QStringLiteral("evalTasksPath"), e.tasksPath).toString();
    e.maxQuestions = s.value(QStringLiteral("evalMaxQuestions"), e.maxQuestions).toInt();
    return p;
}

void Preferences::save() const
{
    QSettings s;
    s.beginGroup(QStringLiteral("preferences"));
    s.setValue(QStringLiteral("language"), language);
    s.setValue(QStringLiteral("threads"), threads);
    s.setValue(QStringLiteral("device"), device);
    s.setValue(QStringLiteral("calibrationPath"), calibrationPath);
    s.setValue(QStringLiteral("samples"), samples);
    s.setValue(QStringLiteral("sequenceLength"), sequenceLength);
    s.setValue(QStringLiteral("calibrationSeed"), calibrationSeed);
    s.setValue(QStringLiteral("evalTextPath"), evaluation.textPath);
    s.setValue(QStringLiteral("evalWindows"), evaluation.windows);
    s.setValue(QStringLiteral("evalWindowLength"), evaluation.windowLength);
    s.setValue(QStringLiteral("evalTasksPath"), evaluation.tasksPath);
    s.setValue(QStringLiteral("evalMaxQuestions"), evaluation.maxQuestions);
}

RunSettings Preferences::defaultRunSettings() const
{
    RunSettings r;
    r.device = device;
    r.calibrationPath = calibrationPath;
    r.samples = samples;
    r.sequenceLength = sequenceLength;
    r.calibrationSeed = calibrationSeed;
    return r;
}

RunSettings loadLastRunSettings(const Preferences& preferences)
{
    RunSettings r = preferences.defaultRunSettings();
    QSettings s;
    if (!s.childGroups().contains(QStringLiteral("lastRun")))
        return r;
    s.beginGroup(QStringLiteral("lastRun"));
    const auto get = [&s](const char* key, auto fallback) {
        return s.value(QLatin1String(key), QVariant::fromValue(fallback))
            .template value<decltype(fallback)>();
    };
    r.method = get("method", r.method);
    r.calibrationPath = get("calibrationPath", r.calibrationPath);
    r.samples = get("samples", r.samples);
    r.sequenceLength = get("sequenceLength", r.sequenceLength);
    r.calibrationSeed = get("calibrationSeed", r.calibrationSeed);
    r.ratio = get("ratio", r.ratio);
    r.population = get("population", r.population);
    r.generations = get("generations", r.generations);
    r.seed = get("seed", r.seed);
    r.candidates = get("candidates", r.candidates);
    r.blockSize = get("blockSize", r.blockSize);
    r.forceGenetic = get("forceGenetic", r.forceGenetic);
    r.decompositionRate = get("decompositionRate", r.decompositionRate);
    r.alpha = get("alpha", r.alpha);
    r.activationAware = get("activationAware", r.activationAware);
    r.batchTokens = get("batchTokens", r.batchTokens);
    loadMethodParameters(s, r.methodParameters);
    return r; // the device follows the preferences; overrides belong to a model, not remembered
}

void saveLastRunSettings(const RunSettings& r)
{
    QSettings s;
    s.beginGroup(QStringLiteral("lastRun"));
    s.setValue(QStringLiteral("method"), r.method);
    s.setValue(QStringLiteral("calibrationPath"), r.calibrationPath);
    s.setValue(QStringLiteral("samples"), r.samples);
    s.setValue(QStringLiteral("sequenceLength"), r.sequenceLength);
    s.setValue(QStringLiteral("calibrationSeed"), r.calibrationSeed);
    s.setValue(QStringLiteral("ratio"), r.ratio);
    s.setValue(QStringLiteral("population"), r.population);
    s.setValue(QStringLiteral("generations"), r.generations);
    s.setValue(QStringLiteral("seed"), r.seed);
    s.setValue(QStringLiteral("candidates"), r.candidates);
    s.setValue(QStringLiteral("blockSize"), r.blockSize);
    s.setValue(QStringLiteral("forceGenetic"), r.forceGenetic);
    s.setValue(QStringLiteral("decompositionRate"), r.decompositionRate);
    s.setValue(QStringLiteral("alpha"), r.alpha);
    s.setValue(QStringLiteral("activationAware"), r.activationAware);
    s.setValue(QStringLiteral("batchTokens"), r.batchTokens);
    saveMethodParameters(s, r.methodParameters);
}

void saveWindowLayout(const QMainWindow& window)
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), window.saveGeometry());
    s.setValue(QStringLiteral("window/state"), window.saveState(kLayoutVersion));
}

bool restoreWindowLayout(QMainWindow& window)
{
    QSettings s;
    const QByteArray geometry = s.value(QStringLiteral("window/geometry")).toByteArray();
    const QByteArray state = s.value(QStringLiteral("window/state")).toByteArray();
    bool restored = !geometry.isEmpty() && window.restoreGeometry(geometry);
    restored = (!state.isEmpty() && window.restoreState(state, kLayoutVersion)) || restored;
    return restored;
}

} // namespace moewb::gui
