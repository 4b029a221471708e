// moe-compress: the headless MoE Workbench pipeline.
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "app/cli/run_command.h"
#include "app/cli/validators.h"
#include "core/io/error.h"
#include "core/io/version.h"
#include "core/io/warning.h"
#include "core/model/residency.h"
#include "core/util/runtime.h"
#include "core/util/torch_errors.h"

#include <fmt/format.h>
#include <cstdio>

namespace moewb::cli {
void prepareRuntime(const GlobalOptions& global)
{
    initRuntime(global.threads);
    setDefaultResidency(parseResidency(global.residency));
}
} // namespace moewb::cli

int main(int argc, char** argv)
{
    moewb::relaunchWithPassiveOpenMp(argv);
    CLI::App app{"moe-compress: analyse, compress, evaluate and export Mixture-of-Experts checkpoints"};
    app.require_subcommand(0, 1);
    app.failure_message(moewb::cli::failureMessage); // names a repeated option plainly (validators.h)
    moewb::setWarningHandler([](const std::string& m) { fmt::print(stderr, "moe-compress: warning: {}\n", m); });
    moewb::cli::GlobalOptions global;
    bool showVersion = false;
    app.add_flag("-V,--version", showVersion, "Print version information and exit");
    app.add_option("-t,--threads", global.threads, "CPU threads for tensor work (0 = all cores)")
        ->check(CLI::Range(0, 1024)); // -t 100000 started 350+ threads and hung
    app.add_option("--residency", global.residency,
                   "Model weights: auto (in memory when they fit in half of the available memory, or on the GPU), "
                   "resident (always in memory) or stream (one layer per pass: models larger than memory)")
        ->check(CLI::IsMember({"auto", "resident", "stream"}))
        ->capture_default_str();
    moewb::cli::registerInspect(app, global);
    moewb::cli::registerEval(app, global);
    moewb::cli::registerSearch(app, global);
    moewb::cli::registerAnalyze(app, global);
    moewb::cli::registerDecompose(app, global);
    moewb::cli::registerApply(app, global);
    moewb::cli::registerFinetune(app, global);
    moewb::cli::registerRun(app, global);
    moewb::cli::registerTrainTokenizer(app, global);
    moewb::cli::registerTrain(app, global);
    moewb::cli::registerTrainReport(app, global);
    moewb::cli::registerExport(app, global);

    try {
        app.parse(argc, argv);  // sub-command callbacks run here
        if (showVersion) {
            auto info = moewb::initRuntime(global.threads);
            fmt::print("moe-compress {}\nLibTorch {}, {} thread(s), CUDA {}\n", moewb::version(),
                       info.torchVersion, info.threads,
                       info.cudaAvailable ? fmt::format("yes ({} device(s))", info.cudaDevices) : "no");
        } else if (app.get_subcommands().empty()) {
            fmt::print("{}", app.help());
        }
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const moewb::Cancelled&) {
        fmt::print(stderr, "moe-compress: cancelled\n");
        return moewb::cli::interruptExitCode();
    } catch (const std::exception& e) {
        // LibTorch's errors without their backtrace; an allocation that failed says what to lower.
        fmt::print(stderr, "moe-compress: error: {}\n", moewb::errorMessage(e));
        if (moewb::isOutOfMemory(e))
            fmt::print(stderr, "moe-compress: lower the batch, the sequence or block length, or the number of "
                               "blocks (--batch, -s, -n, --batch-tokens), or stream the weights (--residency stream)\n");
        return 1;
    }
    return 0;
}
