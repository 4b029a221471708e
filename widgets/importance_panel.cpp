#include "widgets/importance_panel.h"

#include "widgets/heatmap_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace moewb::widgets {

ImportancePanel::ImportancePanel(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* bar = new QHBoxLayout;
    auto* label = new QLabel(tr("&Metric:"), this);
    m_metricBox = new QComboBox(this);
    label->setBuddy(m_metricBox);
    for (int m = 0; m < MetricCount; ++m)
        m_metricBox->addItem(metricName(static_cast<Metric>(m)));
    m_logBox = new QCheckBox(tr("&Log colour scale"), this);
    m_logBox->setToolTip(
        tr("Removal losses span decades between layers; a log scale keeps the small ones apart"));
    m_logBox->setChecked(true);
    bar->addWidget(label);
    bar->addWidget(m_metricBox);
    bar->addSpacing(16);
    bar->addWidget(m_logBox);
    bar->addStretch(1);
    layout->addLayout(bar);
    m_heatmap = new HeatmapView(this);
    layout->addWidget(m_heatmap, 1);
    m_heatmap->setLogScale(true);
    connect(m_logBox, &QCheckBox::toggled, m_heatmap, &HeatmapView::setLogScale);
    connect(m_metricBox, &QComboBox::currentIndexChanged, this,
        [this](int index) { setMetric(static_cast<Metric>(index)); });
    connect(m_heatmap, &HeatmapView::cellClicked, this, &ImportancePanel::cellClicked);
    reset({}, 0);
}

QString ImportancePanel::metricName(Metric metric)
{
    switch (metric) {
    case RemovalLoss:
        return tr("Removal loss");
    case SelectionFrequency:
        return tr("Selection frequency");
    case MeanGateWeight:
        return tr("Mean gate weight");
    case SoftmaxMass:
        return tr("Softmax mass");
    case MetricCount:
        break;
    }
    return {};
}

void ImportancePanel::reset(const QStringList& layerLabels, int experts)
{
    m_labels = layerLabels;
    m_experts = experts;
    for (auto& table : m_tables)
        table.assign(static_cast<size_t>(layerLabels.size()), {});
    m_heatmap->setMarked({});
    redraw();
}

void ImportancePanel::setRow(int row, const std::array<std::vector<double>, MetricCount>& values)
{
    if (row < 0 || row >= m_labels.size())
        return;
    for (int m = 0; m < MetricCount; ++m)
        m_tables[static_cast<size_t>(m)][static_cast<size_t>(row)] = values[static_cast<size_t>(m)];
    m_heatmap->setRow(row, values[static_cast<size_t>(m_metric)]);
}

void ImportancePanel::setMarked(const QSet<QPair<int, int>>& cells)
{
    m_heatmap->setMarked(cells);
}

void ImportancePanel::setMetric(Metric metric)
{
    if (metric == m_metric || metric < 0 || metric >= MetricCount)
        return;
    m_metric = metric;
    m_metricBox->setCurrentIndex(metric);
    m_logBox->setChecked(metric == RemovalLoss); // routing statistics are fractions: linear
    redraw();
}

void ImportancePanel::redraw()
{
    const QSet<QPair<int, int>> marked = m_heatmap->marked(); // reset() clears them; a switch keeps them
    m_heatmap->reset(m_labels, m_experts, metricName(m_metric));
    const auto& table = m_tables[static_cast<size_t>(m_metric)];
    for (size_t r = 0; r < table.size(); ++r)
        if (!table[r].empty())
            m_heatmap->setRow(static_cast<int>(r), table[r]);
    m_heatmap->setMarked(marked);
}

} // namespace moewb::widgets
