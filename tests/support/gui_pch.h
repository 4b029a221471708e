// Precompiled header of the Qt Test units (tests/gui/tst_*.cpp): LibTorch's tensor API before any
// Qt header (Qt's `slots` keyword macro would break it), then Qt Test and the widget modules.
#pragma once
#include "core/util/torch_pch.h"
#include <QtCore>
#include <QtGui>
#include <QtWidgets>
#include <QtTest>
