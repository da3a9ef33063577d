/* The matcher's hot loops in C (module bot.match._speedups), each the twin of a pure-Python
 * reference in the package: scan.c, keytable.c, groups.c, warm.c.
 *
 * Optional: setup.py builds this module where a C compiler exists, and the package falls back to
 * the Python reference where it does not (`bot/match/speedups.py` says which is in use). The tests
 * compare both on the same inputs (tests/test_match_speedups.py), so the Python code stays the
 * specification and this file only has to agree with it.
 *
 * Only the public C API of CPython is used: the module builds unchanged for 3.11 onwards.
 */
#include "speedups.h"

static PyMethodDef methods[] = {
    {"scan", scan, METH_O, scan_doc},
    {"match_groups", (PyCFunction)(void (*)(void))match_groups, METH_FASTCALL,
     "match_groups(now, after, rest, present, ids): see groups.match_groups_reference."},
    {"warm", (PyCFunction)(void (*)(void))warm, METH_FASTCALL,
     "warm(table, ids): prefetch table[i] for each i in ids; a hint with no effect on results."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "bot.match._speedups",
    .m_doc = "The matcher's hot loops in C; see the Python twins named in each docstring.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (scan_init() < 0) {
        return NULL;
    }
    if (PyType_Ready(&KeyTableType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "KeyTable", (PyObject *)&KeyTableType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
