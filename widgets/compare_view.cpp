#include "widgets/compare_view.h"

#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QScrollBar>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>
#include <qcustomplot.h>

namespace moewb::widgets {

namespace {

const QStringList kOrder = {QStringLiteral("perplexity"), QStringLiteral("kl"), QStringLiteral("params"),
    QStringLiteral("bytes"), QStringLiteral("tokens_per_s")};

QString formatValue(const QString& key, double v)
{
    if (!std::isfinite(v))
        return QStringLiteral("\u2013");
    if (key == QLatin1String("params") || key == QLatin1String("bytes")) {
        if (std::abs(v) >= 1e9)
            return QStringLiteral("%1 G").arg(v / 1e9, 0, 'f', 2);
        if (std::abs(v) >= 1e6)
            return QStringLiteral("%1 M").arg(v / 1e6, 0, 'f', 2);
        return QStringLiteral("%1 k").arg(v / 1e3, 0, 'f', 1);
    }
    if (key.startsWith(QLatin1String("acc:")))
        return QStringLiteral("%1%").arg(100 * v, 0, 'f', 1);
    return QString::number(v, 'g', 4);
}

double valueOf(const CompareView::Variant& variant, const QString& key)
{
    const auto it = variant.metrics.find(key);
    return it == variant.metrics.end() ? std::nan("") : it->second;
}

} // namespace

CompareView::CompareView(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* note = new QLabel(tr("Lower is better for perplexity and KL, higher for accuracy and tokens per "
                               "second; the table gives each change against the original."),
        this);
    note->setWordWrap(true);
    layout->addWidget(note);
    auto* split = new QSplitter(Qt::Vertical, this);
    m_charts = new QWidget(split);
    new QGridLayout(m_charts);
    m_table = new QTableWidget(split);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    split->addWidget(m_charts);
    split->addWidget(m_table);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    layout->addWidget(split);
    rebuild();
}

QString CompareView::metricTitle(const QString& key) const
{
    if (key == QLatin1String("perplexity"))
        return tr("Perplexity");
    if (key == QLatin1String("kl"))
        return tr("KL to the original");
    if (key == QLatin1String("params"))
        return tr("Parameters (millions)");
    if (key == QLatin1String("bytes"))
        return tr("Weight bytes (MB)");
    if (key == QLatin1String("tokens_per_s"))
        return tr("Tokens per second");
    if (key.startsWith(QLatin1String("acc:")))
        return tr("Accuracy: %1").arg(key.mid(4));
    return key;
}

QCustomPlot* CompareView::chart(const QString& key) const
{
    const auto it = m_plots.find(key);
    return it == m_plots.end() ? nullptr : it->second;
}

void CompareView::setVariants(const std::vector<Variant>& variants)
{
    m_variants = variants;
    rebuild();
}

void CompareView::rebuild()
{
    // Metric keys: the known ones any variant has, in order, then accuracies sorted by task.
    m_keys.clear();
    QStringList accuracies;
    for (const auto& v : m_variants)
        for (const auto& [key, value] : v.metrics)
            if (key.startsWith(QLatin1String("acc:")) && !accuracies.contains(key))
                accuracies << key;
    accuracies.sort();
    for (const QString& key : kOrder) {
        if (key == QLatin1String("params"))
            m_keys << accuracies; // quality first, then size and speed
        for (const auto& v : m_variants)
            if (v.metrics.count(key)) {
                m_keys << key;
                break;
            }
    }

    auto* grid = static_cast<QGridLayout*>(m_charts->layout());
    for (auto& [key, plot] : m_plots)
        plot->deleteLater();
    m_plots.clear();
    while (auto* item = grid->takeAt(0)) {
        if (item->widget())
            item->widget()->deleteLater();
        delete item;
    }
    if (m_keys.isEmpty()) {
        grid->addWidget(
            new QLabel(tr("No evaluations yet: Run \u25b8 Apply & evaluate fills this view."), m_charts), 0,
            0);
    }
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (size_t i = 0; i < m_variants.size(); ++i)
        ticker->addTick(static_cast<double>(i), m_variants[i].name);
    const int columns = m_keys.size() > 4 ? 3 : 2;
    for (int k = 0; k < m_keys.size(); ++k) {
        const QString& key = m_keys[k];
        auto* plot = new QCustomPlot(m_charts);
        plot->setMinimumSize(220, 170);
        plot->plotLayout()->insertRow(0);
        plot->plotLayout()->addElement(
            0, 0, new QCPTextElement(plot, metricTitle(key), QFont(font().family(), 9, QFont::Bold)));
        auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
        bars->setWidth(0.6);
        bars->setPen(Qt::NoPen);
        bars->setBrush(QColor(66, 133, 244));
        auto* base = new QCPBars(plot->xAxis, plot->yAxis); // the original in grey
        base->setWidth(0.6);
        base->setPen(Qt::NoPen);
        base->setBrush(QColor(150, 150, 150));
        double top = 0;
        for (size_t i = 0; i < m_variants.size(); ++i) {
            const double v = valueOf(m_variants[i], key);
            if (!std::isfinite(v))
                continue;
            const double shown
                = key == QLatin1String("params") || key == QLatin1String("bytes") ? v / 1e6 : v;
            (m_variants[i].original ? base : bars)->addData(static_cast<double>(i), shown);
            top = std::max(top, shown);
        }
        plot->xAxis->setTicker(ticker);
        // Rotated labels end at their tick (negative angle): QCustomPlot drops a label that crosses the
        // plot's border, and the last one, drawn rightwards from its tick, often did
        // ("moe-i2-search-ga" vanished from every chart).
        plot->xAxis->setTickLabelRotation(m_variants.size() > 2 ? -30 : 0);
        plot->xAxis->setRange(-0.6, static_cast<double>(m_variants.size()) - 0.4);
        plot->yAxis->setRange(0, top > 0 ? top * 1.15 : 1);
        plot->xAxis->grid()->setVisible(false);
        grid->addWidget(plot, k / columns, k % columns);
        m_plots[key] = plot;
    }

    // Table: one row per variant; each metric with its change against the original.
    const Variant* original = nullptr;
    for (const auto& v : m_variants)
        if (v.original)
            original = &v;
    m_table->clear();
    m_table->setColumnCount(static_cast<int>(m_keys.size()) + 1);
    m_table->setRowCount(static_cast<int>(m_variants.size()));
    QStringList headers{tr("Model")};
    for (const QString& key : m_keys)
        headers << metricTitle(key);
    m_table->setHorizontalHeaderLabels(headers);
    for (int r = 0; r < m_table->rowCount(); ++r) {
        const Variant& v = m_variants[static_cast<size_t>(r)];
        m_table->setItem(r, 0, new QTableWidgetItem(v.name));
        for (int k = 0; k < m_keys.size(); ++k) {
            const double value = valueOf(v, m_keys[k]);
            QString text = formatValue(m_keys[k], value);
            if (original && !v.original && std::isfinite(value)) {
                const double before = valueOf(*original, m_keys[k]);
                if (std::isfinite(before) && before != 0)
                    text += QStringLiteral("  (%1%2%)")
                                .arg(value >= before ? QStringLiteral("+") : QString())
                                .arg(100 * (value - before) / before, 0, 'f', 1);
            }
            auto* item = new QTableWidgetItem(text);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_table->setItem(r, k + 1, item);
        }
    }
    m_table->resizeColumnsToContents();
    // Every row visible (up to 220 px), the horizontal scroll bar's height included: without it the
    // last row hid behind the bar.
    m_table->setMinimumHeight(std::min(220,
        m_table->horizontalHeader()->sizeHint().height()
            + m_table->rowCount() * m_table->verticalHeader()->defaultSectionSize()
            + m_table->horizontalScrollBar()->sizeHint().height() + 2 * m_table->frameWidth() + 2));
}

} // namespace moewb::widgets
