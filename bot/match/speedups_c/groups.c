/* match_groups: the twin of groups.match_groups_reference (which says what it does).
 *
 * The groups filed under a story's classes are scattered over memory; here every list slot,
 * then every shelf, then every shelf's items are prefetched for the whole story before any is
 * tested, so their cache misses overlap.
 *
 * Testing a record asks `present` about its class ids, and an id with its own __eq__ or __hash__
 * runs Python code, which may change the shelves, the records or the lists under the walk. So the
 * ids are converted before anything is read, every list is indexed within its size of the moment,
 * and each shelf and record is held (a new reference) while it is tested.
 */
#include "speedups.h"


/* Whether no item of the tuple `items` is in `present` (-1 on error). */
static int
disjoint(PyObject *present, PyObject *items)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items); i++) {
        int has = PySet_Contains(present, PyTuple_GET_ITEM(items, i));
        if (has != 0) {
            return has < 0 ? -1 : 0;
        }
    }
    return 1;
}

/* Whether every item of the tuple `items` is in `present` (-1 on error). */
static int
superset(PyObject *present, PyObject *items)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items); i++) {
        int has = PySet_Contains(present, PyTuple_GET_ITEM(items, i));
        if (has != 1) {
            return has;
        }
    }
    return 1;
}

/* A record is (entry, required, negative), two tuples of class ids. */
static int
check_record(PyObject *rec)
{
    if (!PyTuple_CheckExact(rec) || PyTuple_GET_SIZE(rec) != 3 ||
        !PyTuple_CheckExact(PyTuple_GET_ITEM(rec, 1)) ||
        !PyTuple_CheckExact(PyTuple_GET_ITEM(rec, 2))) {
        PyErr_SetString(PyExc_TypeError, "a group record is (entry, required, negative)");
        return -1;
    }
    return 0;
}

/* Append the records of the list `recs` that match to `out`; `all` tests `required` too. */
static int
take_records(PyObject *out, PyObject *recs, PyObject *present, int all)
{
    if (!PyList_Check(recs)) {
        PyErr_SetString(PyExc_TypeError, "a shelf of groups is a list");
        return -1;
    }
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(recs); j++) { /* its size now, every time */
        PyObject *rec = Py_NewRef(PyList_GET_ITEM(recs, j));
        int ok = check_record(rec) < 0 ? -1 : 1;
        if (ok == 1 && all) {
            ok = superset(present, PyTuple_GET_ITEM(rec, 1));
        }
        if (ok == 1) {
            ok = disjoint(present, PyTuple_GET_ITEM(rec, 2));
        }
        if (ok == 1 && PyList_Append(out, rec) < 0) {
            ok = -1;
        }
        Py_DECREF(rec);
        if (ok < 0) {
            return -1;
        }
    }
    return 0;
}

/* lists[i], held, where i is within the list's size now; NULL where it is not or is None. */
static PyObject *
shelf_at(PyObject *list, Py_ssize_t i)
{
    if (i >= PyList_GET_SIZE(list)) { /* shortened by Python code earlier in the call */
        return NULL;
    }
    PyObject *shelf = PyList_GET_ITEM(list, i);
    return shelf == Py_None ? NULL : Py_NewRef(shelf);
}

/* The records of the after-shelf `shelf` (other class → records) whose class is present. */
static int
take_after(PyObject *out, PyObject *shelf, PyObject *present)
{
    if (!PyDict_Check(shelf)) {
        PyErr_SetString(PyExc_TypeError, "an after-shelf is a dict");
        return -1;
    }
    if (PyDict_GET_SIZE(shelf) <= PySet_GET_SIZE(present)) { /* the smaller side */
        Py_ssize_t pos = 0;
        PyObject *other, *recs;
        while (PyDict_Next(shelf, &pos, &other, &recs)) {
            Py_INCREF(other);
            Py_INCREF(recs);
            int has = PySet_Contains(present, other);
            int err = has < 0 || (has == 1 && take_records(out, recs, present, 0) < 0);
            Py_DECREF(other);
            Py_DECREF(recs);
            if (err) {
                return -1;
            }
        }
        return 0;
    }
    PyObject *it = PyObject_GetIter(present), *other;
    if (it == NULL) {
        return -1;
    }
    while ((other = PyIter_Next(it)) != NULL) {
        PyObject *recs = PyDict_GetItemWithError(shelf, other);
        Py_XINCREF(recs);
        Py_DECREF(other);
        int err = (recs == NULL && PyErr_Occurred()) ||
                  (recs != NULL && take_records(out, recs, present, 0) < 0);
        Py_XDECREF(recs);
        if (err) {
            Py_DECREF(it);
            return -1;
        }
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

PyObject *
match_groups(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyList_Check(args[0]) || !PyList_Check(args[1]) ||
        !PyList_Check(args[2]) || !PyAnySet_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError,
                        "match_groups(now: list, after: list, rest: list, present: set, ids)");
        return NULL;
    }
    PyObject *now = args[0], *after = args[1], *rest = args[2], *present = args[3];
    /* the ids first, into C: reading them (a generator, an __index__) may run Python code */
    PyObject *seq = PySequence_Tuple(args[4]);
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    Py_ssize_t *ids = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_ssize_t));
    PyObject *out = NULL;
    if (ids == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    Py_ssize_t m = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *index = PyNumber_Index(PyTuple_GET_ITEM(seq, k));
        int overflow = 0;
        long long i = index == NULL ? -1 : PyLong_AsLongLongAndOverflow(index, &overflow);
        Py_XDECREF(index);
        if (i == -1 && PyErr_Occurred()) {
            goto error;
        }
        if (!overflow && i >= 0 && i <= PY_SSIZE_T_MAX) { /* far out of range: passed over */
            ids[m++] = (Py_ssize_t)i;
        }
    }
    out = PyList_New(0); /* before the sizes are read: a new list may run the collector */
    if (out == NULL) {
        goto error;
    }
    Py_ssize_t size = PyList_GET_SIZE(now);
    if (PyList_GET_SIZE(after) != size || PyList_GET_SIZE(rest) != size) {
        PyErr_SetString(PyExc_ValueError, "match_groups: the three lists differ in length");
        goto error;
    }
    /* No Python code runs in the prefetching: every list keeps the size read just above. */
    Py_ssize_t kept = 0; /* the ids that have a slot */
    for (Py_ssize_t k = 0; k < m; k++) {
        if (ids[k] < size) {
            Py_ssize_t i = ids[kept++] = ids[k];
            PREFETCH(&PyList_GET_ITEM(now, i));
            PREFETCH(&PyList_GET_ITEM(after, i));
            PREFETCH(&PyList_GET_ITEM(rest, i));
        }
    }
    m = kept;
    PyObject *lists[3] = {now, after, rest};
    for (Py_ssize_t k = 0; k < m; k++) {
        for (int w = 0; w < 3; w++) {
            PyObject *shelf = PyList_GET_ITEM(lists[w], ids[k]);
            if (shelf != Py_None) {
                PREFETCH(shelf);
                PREFETCH((const char *)shelf + 64);
            }
        }
    }
    for (Py_ssize_t k = 0; k < m; k++) { /* the shelves' own arrays of items */
        PyObject *shelf = PyList_GET_ITEM(now, ids[k]);
        if (shelf != Py_None && PyList_Check(shelf)) {
            PREFETCH(((PyListObject *)shelf)->ob_item);
        }
        shelf = PyList_GET_ITEM(rest, ids[k]);
        if (shelf != Py_None && PyList_Check(shelf)) {
            PREFETCH(((PyListObject *)shelf)->ob_item);
        }
    }
    /* Testing runs Python code where an id has its own __eq__: each shelf is looked up afresh,
     * within its list's size now, and held while it is tested. */
    for (Py_ssize_t k = 0; k < m; k++) {
        Py_ssize_t i = ids[k];
        PyObject *shelf = shelf_at(now, i);
        int err = shelf != NULL && take_records(out, shelf, present, 0) < 0;
        Py_XDECREF(shelf);
        if (!err && (shelf = shelf_at(after, i)) != NULL) { /* other class → records */
            err = take_after(out, shelf, present) < 0;
            Py_DECREF(shelf);
        }
        if (!err && (shelf = shelf_at(rest, i)) != NULL) {
            err = take_records(out, shelf, present, 1) < 0;
            Py_DECREF(shelf);
        }
        if (err) {
            goto error;
        }
    }
    /* the caller reads each matched entry next: its cache misses overlapped here */
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(out); k++) {
        PyObject *entry = PyTuple_GET_ITEM(PyList_GET_ITEM(out, k), 0);
        PREFETCH(entry);
        PREFETCH((const char *)entry + 64);
    }
    PyMem_Free(ids);
    Py_DECREF(seq);
    return out;
error:
    PyMem_Free(ids);
    Py_DECREF(seq);
    Py_XDECREF(out);
    return NULL;
}
