// Helpers of the tests that run the methods of the Parameters dock on the Qwen demo model
// (tst_method_options, tst_run_options): the reference model and blocks, the tiny run settings,
// the dock's widgets by name and the saved session's plans.
#pragma once
#include "core/calib/dataset.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/model/moe_model.h"
#include "core/session/session.h"

#include "app/gui/main_window.h"
#include "app/gui/parameters_dock.h"
#include "support/gui_jobs.h"

#include <QComboBox>
#include <QTemporaryDir>

namespace moewb::test {

// The Qwen demo model and the calibration blocks tinyRun() makes the GUI read.
struct Reference {
    std::unique_ptr<moewb::MoeModel> model;
    moewb::TokenBlocks blocks;
};

inline Reference qwen()
{
    using namespace moewb;
    Reference r;
    r.model = MoeModel::open(demo("models/qwen").toStdString(), ComputeOptions{torch::kFloat, torch::kCPU});
    r.model->makeResident();
    const auto tokenizer = Tokenizer::fromFile(r.model->path() / "tokenizer.json");
    r.blocks = loadTextBlocks(
        demo("calib.txt").toStdString(), tokenizer, BlockOptions{4, 64, BlockSelection::Random, 3});
    return r;
}

inline moewb::gui::RunSettings tinyRun(const QString& method)
{
    moewb::gui::RunSettings s = demoRun(method, 4, 64);
    s.calibrationSeed = 3;
    return s;
}

template <class T> T* field(moewb::gui::MainWindow& w, const char* name)
{
    return w.parameters()->findChild<T*>(QLatin1String(name));
}

inline void choose(QComboBox* box, const QString& data)
{
    box->setCurrentIndex(box->findData(data));
}

// The working session as a file, read back with core's Session.
inline moewb::Session savedSession(moewb::gui::MainWindow& w, const QTemporaryDir& dir)
{
    const QString file = dir.filePath(QStringLiteral("s.h5"));
    if (!waitForJob(w, w.saveSessionAs(file)))
        moewb::fail("saving the session failed");
    return moewb::Session::open(file.toStdString());
}

// The session's plan `name`; an empty plan (and a warning) when there is none.
inline moewb::Plan planOf(const moewb::Session& session, const std::string& name)
{
    const auto it = session.plans().find(name);
    if (it == session.plans().end()) {
        qWarning("no plan '%s' in the session", name.c_str());
        return {};
    }
    return it->second.plan;
}

} // namespace moewb::test
