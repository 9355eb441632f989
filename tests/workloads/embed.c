// SPDX-License-Identifier: BSD-3-Clause
/*
 * A program that embeds libpython and runs a script, like an application
 * server would: `embedded-app SCRIPT ARGS...`.  Its executable's name says
 * nothing about Python, so pybpf must find the runtime in libpython.
 */
#include <Python.h>

int main(int argc, char **argv)
{
	PyConfig config;
	PyStatus status;

	PyConfig_InitPythonConfig(&config);
	/* Parse argv as the python command does: argv[1] is the script. */
	status = PyConfig_SetBytesArgv(&config, argc, argv);
	if (!PyStatus_Exception(status))
		status = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(status))
		Py_ExitStatusException(status);
	return Py_RunMain();
}
