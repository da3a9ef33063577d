/* warm(table, ids): prefetch table[i] for each i in ids (the list's slot, then the object).
 *
 * A hint, with no effect on results: the matcher calls it before a Python loop over the same
 * items, so that their cache misses are taken together here instead of one after another there.
 */
#include "speedups.h"

PyObject *
warm(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "warm(table: list, ids)");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(args[1], "warm() expects a sequence of ints");
    if (seq == NULL) {
        return NULL;
    }
    PyObject **table = ((PyListObject *)args[0])->ob_item;
    Py_ssize_t size = PyList_GET_SIZE(args[0]);
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **ids = PySequence_Fast_ITEMS(seq);
    for (int stage = 0; stage < 2; stage++) {
        for (Py_ssize_t k = 0; k < n; k++) {
            Py_ssize_t i = PyLong_AsSsize_t(ids[k]);
            if (i == -1 && PyErr_Occurred()) {
                Py_DECREF(seq);
                return NULL;
            }
            if (i < 0 || i >= size) {
                continue;
            }
            if (stage == 0) {
                PREFETCH(&table[i]);
            }
            else {
                PREFETCH(table[i]);
                PREFETCH((const char *)table[i] + 64);
            }
        }
    }
    Py_DECREF(seq);
    Py_RETURN_NONE;
}

