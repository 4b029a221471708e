// Translations: after lupdate over the current sources (on copies of translations/*.ts) no entry is
// unfinished and at least 95% differ from the English source; every translation keeps its source's
// placeholders (%1 ...) and menu accelerator; the compiled .qm translate the main window's menus.
#include "app/gui/i18n.h"
#include "app/gui/main_window.h"
#include "support/paths.h"

#include <QDir>
#include <QFile>
#include <QMenuBar>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTranslator>
#include <QXmlStreamReader>

namespace {

struct Entry {
    QString context, source, translation;
    bool unfinished = false;
};

QList<Entry> readTs(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QXmlStreamReader xml(&file);
    QList<Entry> entries;
    QString context;
    Entry current;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement())
            continue;
        if (xml.name() == QLatin1String("name"))
            context = xml.readElementText();
        else if (xml.name() == QLatin1String("message"))
            current = Entry{context, {}, {}, false};
        else if (xml.name() == QLatin1String("source"))
            current.source = xml.readElementText();
        else if (xml.name() == QLatin1String("translation")) {
            const auto type = xml.attributes().value(QLatin1String("type"));
            current.unfinished = !type.isEmpty(); // unfinished, vanished or obsolete
            current.translation = xml.readElementText();
            entries << current;
        }
    }
    return entries;
}

QSet<QString> placeholders(const QString& text)
{
    QSet<QString> found;
    static const QRegularExpression re(QStringLiteral("%\\d+"));
    for (auto it = re.globalMatch(text); it.hasNext();)
        found.insert(it.next().captured());
    return found;
}

bool hasAccelerator(const QString& text)
{
    return text.contains(QRegularExpression(QStringLiteral("&[^&\\s]")));
}

} // namespace

class TestTranslations : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void completeAfterLupdate_data();
    void completeAfterLupdate();
    void compiledTranslationsReachTheMenus();
};

void TestTranslations::completeAfterLupdate_data()
{
    QTest::addColumn<QString>("language");
    QTest::newRow("zh_CN") << QStringLiteral("zh_CN");
    QTest::newRow("de") << QStringLiteral("de");
}

void TestTranslations::completeAfterLupdate()
{
    QFETCH(QString, language);
    const QString source = QString::fromStdString(moewb::test::sourceDir().string());
    const QString name = QStringLiteral("moe-workbench_%1.ts").arg(language);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString copy = dir.filePath(name);
    QVERIFY(QFile::copy(source + QStringLiteral("/translations/") + name, copy));
    QFile::setPermissions(copy, QFile::ReadOwner | QFile::WriteOwner);
    QProcess lupdate;
    lupdate.setWorkingDirectory(source);
    lupdate.start(QStringLiteral(MOEWB_LUPDATE),
        {QStringLiteral("-I"), source, QStringLiteral("app/gui"), QStringLiteral("widgets"),
            QStringLiteral("-no-obsolete"), QStringLiteral("-locations"), QStringLiteral("none"),
            QStringLiteral("-ts"), copy});
    QVERIFY(lupdate.waitForFinished(120000));
    QCOMPARE(lupdate.exitCode(), 0);

    const QList<Entry> entries = readTs(copy);
    QVERIFY2(entries.size() > 150, qPrintable(QString::number(entries.size())));
    int unfinished = 0, differ = 0;
    QStringList problems;
    for (const Entry& e : entries) {
        if (e.unfinished || e.translation.isEmpty()) {
            ++unfinished;
            problems << QStringLiteral("unfinished: %1 / %2").arg(e.context, e.source);
            continue;
        }
        if (e.translation != e.source)
            ++differ;
        if (placeholders(e.source) != placeholders(e.translation))
            problems << QStringLiteral("placeholders differ: %1 -> %2").arg(e.source, e.translation);
        if (hasAccelerator(e.source) != hasAccelerator(e.translation))
            problems << QStringLiteral("accelerator differs: %1 -> %2").arg(e.source, e.translation);
    }
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    QCOMPARE(unfinished, 0);
    const double share = double(differ) / entries.size();
    qInfo("%s: %lld entries, %d differ from English (%.1f%%)", qPrintable(language),
        static_cast<long long>(entries.size()), differ, 100 * share);
    QVERIFY2(share >= 0.95, qPrintable(QString::number(share)));
}

void TestTranslations::compiledTranslationsReachTheMenus()
{
    const QStringList expected[]
        = {{QStringLiteral("zh_CN"), QStringLiteral("文件(&F)"), QStringLiteral("运行(&R)")},
            {QStringLiteral("de"), QStringLiteral("&Datei"), QStringLiteral("&Ausführen")}};
    for (const QStringList& row : expected) {
        QTranslator translator;
        QVERIFY(translator.load(QStringLiteral(MOEWB_QM_DIR "/moe-workbench_%1.qm").arg(row[0])));
        QCoreApplication::installTranslator(&translator);
        moewb::gui::MainWindow window;
        QStringList menus;
        for (auto* action : window.menuBar()->actions())
            menus << action->text();
        QCoreApplication::removeTranslator(&translator);
        QVERIFY2(menus.contains(row[1]) && menus.contains(row[2]), qPrintable(menus.join(QLatin1Char('|'))));
    }
    QCOMPARE(moewb::gui::resolveLanguage(QStringLiteral("de")), QStringLiteral("de"));
    QCOMPARE(moewb::gui::resolveLanguage(QStringLiteral("zh_CN")), QStringLiteral("zh_CN"));
}

QTEST_MAIN(TestTranslations)
#include "tst_translations.moc"
