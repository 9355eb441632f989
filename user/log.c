// SPDX-License-Identifier: BSD-3-Clause
#include "log.h"

bool log_verbose;
