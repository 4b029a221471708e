// What finetune and the GUI's Recover share (core/train/lora_run.h): the target list both ways, the
// recovered plan's name and the names refused, the default checkpoint file, and the stored plan.
#include "core/io/error.h"
#include "core/train/lora_run.h"
#include "support/temp_dir.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

using namespace moewb;

TEST_CASE("adapter targets: parsed, written back, an empty or unknown list refused")
{
    LoraOptions o;
    parseLoraTargets(kDefaultLoraTargets, o);
    CHECK((o.attention && o.experts && o.shared && !o.dense));
    CHECK(loraTargetsText(o) == kDefaultLoraTargets);
    CHECK(loraTargetsText(LoraOptions{}) == kDefaultLoraTargets); // the options' defaults are the CLI's
    parseLoraTargets("dense,attention", o);
    CHECK((o.attention && !o.experts && !o.shared && o.dense));
    CHECK(loraTargetsText(o) == "attention,dense");
    CHECK_THROWS_WITH_AS(parseLoraTargets("", o), doctest::Contains("no module chosen"), Error);
    CHECK_THROWS_WITH_AS(parseLoraTargets("attention,mlp", o), doctest::Contains("unknown module 'mlp'"), Error);
}

TEST_CASE("the recovered plan's name: the default and the names refused")
{
    CHECK(recoveredPlanName("ed", "") == "ed-lora");
    CHECK(recoveredPlanName("ed", "mine") == "mine");
    Session session;
    Plan ed{"ed", "expert-drop", nlohmann::json::object(), {}};
    session.setPlan(ed);
    Plan lora{"ed-lora", "expert-drop", {{"base_plan", "ed"}, {"lora", {{"rank", 2}}}}, {}};
    session.setPlan(lora);
    Plan spaced{"x y", "expert-drop", {{"base_plan", "ed"}, {"lora", {{"rank", 2}}}}, {}};
    session.setPlan(spaced);
    CHECK(isRecoveredPlan(lora));
    CHECK(!isRecoveredPlan(ed));
    CHECK(recoveredPlanNameProblem(session, "ed", "ed-lora").empty()); // a re-run replaces it
    CHECK(recoveredPlanNameProblem(session, "ed", "new").empty());
    CHECK(recoveredPlanNameProblem(session, "ed", "").find("empty") != std::string::npos);
    CHECK(recoveredPlanNameProblem(session, "ed", std::string(201, 'a')).find("200 bytes") != std::string::npos);
    CHECK(recoveredPlanNameProblem(session, "ed", " a").find("space") != std::string::npos);
    CHECK(recoveredPlanNameProblem(session, "ed", "a\nb").find("control") != std::string::npos);
    CHECK(recoveredPlanNameProblem(session, "ed-lora", "ed-lora").find("being recovered") != std::string::npos);
    CHECK(recoveredPlanNameProblem(session, "ed-lora", "ed").find("not a LoRA recovery") != std::string::npos);
    // "x_y" would keep its adapters in lora/x_y, where "x y" keeps its own.
    CHECK(recoveredPlanNameProblem(session, "ed", "x_y").find("'x y'") != std::string::npos);
    CHECK(recoveredPlanNameProblem(session, "ed", "x y").empty());
}

TEST_CASE("the default checkpoint sits beside the session, named after the recovered plan")
{
    CHECK(defaultLoraCheckpoint("/tmp/s.h5", "ed").string() == "/tmp/s.h5.ed-lora.ckpt");
    CHECK(defaultLoraCheckpoint("s.h5", "moe-i2").string() == "s.h5.moe-i2-lora.ckpt");
    const auto slashed = defaultLoraCheckpoint("/tmp/s.h5", "a/../b");
    CHECK(slashed.string() == "/tmp/s.h5.a_.._b-lora.ckpt");
    CHECK(slashed.parent_path() == "/tmp");
}

TEST_CASE("a long plan name beside a long session name still makes a file that can be written")
{
    test::TempDir dir;
    std::string sessionName(61, 's');
    sessionName += ".h5";
    const std::filesystem::path session = dir.path / sessionName;
    std::string base; // 100 x "é" (2 bytes each) + " + " + 40 bytes: 243 bytes, as "<plan> + <method>" names get
    for (int i = 0; i < 100; ++i)
        base += "\xc3\xa9";
    base += " + " + std::string(40, 'x');
    const auto a = defaultLoraCheckpoint(session, base), b = defaultLoraCheckpoint(session, base + "y");
    CHECK(a.parent_path() == dir.path);
    CHECK(a.filename().string().size() <= 255);
    CHECK(a.filename().string().size() >= 240); // kept as much of the name as fits
    CHECK(a != b); // cut at the same byte, told apart by the hash of the whole name
    const std::string name = a.filename().string();
    CHECK(name.starts_with(session.filename().string() + ".\xc3\xa9"));
    CHECK(name.ends_with("-lora.ckpt"));
    // Cut at a character boundary: the kept part of the name is whole "é"s.
    const std::string kept = name.substr(session.filename().string().size() + 1,
                                         name.size() - session.filename().string().size() - 1 - 27);
    CHECK(kept.size() % 2 == 0);
    CHECK(kept.find_first_not_of("\xc3\xa9") == std::string::npos);
    std::ofstream(a) << "checkpoint";
    CHECK(std::filesystem::file_size(a) == 10);
    // Short names are unchanged.
    CHECK(defaultLoraCheckpoint(session, "ed").filename() == session.filename().string() + ".ed-lora.ckpt");
}
