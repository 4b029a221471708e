#include "app/gui/file_row.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QToolButton>

namespace moewb::gui {

QHBoxLayout* fileChooserRow(QWidget* parent, QLineEdit*& edit, const QString& placeholder,
    const QString& dialogTitle, const QString& filter, const QString& toolTip)
{
    auto* layout = new QHBoxLayout;
    edit = new QLineEdit(parent);
    edit->setPlaceholderText(placeholder);
    auto* browse = new QToolButton(parent);
    browse->setText(QStringLiteral("\u2026"));
    if (!toolTip.isEmpty())
        browse->setToolTip(toolTip);
    layout->addWidget(edit, 1);
    layout->addWidget(browse);
    QLineEdit* target = edit;
    QObject::connect(browse, &QToolButton::clicked, parent, [parent, target, dialogTitle, filter] {
        const QString file = QFileDialog::getOpenFileName(parent, dialogTitle, target->text(), filter);
        if (!file.isEmpty())
            target->setText(file);
    });
    return layout;
}

} // namespace moewb::gui
