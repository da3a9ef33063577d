/* KeyTable.odd_pairs and KeyTable.adjacent: the twins of the methods of the same names of
 * keytable.KeyTableReference (which say what they do), for phrases (see pairs.py).
 *
 * Both walk a story's words in order, which in Python is a loop of ~600 steps a story for a
 * handful of places that matter; here it is a loop of compares.
 */
#include "keytable.h"

/* A word's classes: odd[word] (a list of ints) where the word is in `odd`, else its value in the
 * table where that is a class (≥ 0), else none. */
typedef struct {
    PyObject *list; /* borrowed from `odd`, or NULL */
    long long one;  /* the value, where list is NULL; < 0: no class */
} Classes;

static int
classes_of(KeyTable *t, PyObject *odd, PyObject *word, Classes *c)
{
    c->list = PyDict_GetItemWithError(odd, word);
    if (c->list != NULL) {
        if (!PyList_Check(c->list)) {
            PyErr_SetString(PyExc_TypeError, "odd maps a word to a list of class ids");
            return -1;
        }
        return 0;
    }
    if (PyErr_Occurred()) {
        return -1;
    }
    c->one = value_of(t, word);
    return (c->one == -1 && PyErr_Occurred()) ? -1 : 0;
}

static Py_ssize_t
classes_count(const Classes *c)
{
    return c->list != NULL ? PyList_GET_SIZE(c->list) : c->one >= 0;
}

/* The k-th class id; -1 with an error set where it is not an int in 0..2**31-1. */
static long long
classes_item(const Classes *c, Py_ssize_t k)
{
    if (c->list == NULL) {
        return c->one;
    }
    long long v = PyLong_AsLongLong(PyList_GET_ITEM(c->list, k));
    if ((v == -1 && PyErr_Occurred()) || v < 0 || v > INT32_MAX) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "a class id is an int in 0..2**31-1");
        }
        return -1;
    }
    return v;
}

/* Whether `cid` is one of the classes (-1 on error). */
static int
classes_have(const Classes *c, long long cid)
{
    for (Py_ssize_t k = 0; k < classes_count(c); k++) {
        long long v = classes_item(c, k);
        if (v == -1) {
            return -1;
        }
        if (v == cid) {
            return 1;
        }
    }
    return 0;
}

/* Add to `pairs` every a << 32 | b with a a class of `left` and b one of `right`. */
static int
add_pairs(KeyTable *t, PyObject *odd, PyObject *left, PyObject *right, PyObject *pairs)
{
    Classes l, r;
    if (classes_of(t, odd, left, &l) < 0 || classes_of(t, odd, right, &r) < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < classes_count(&l); i++) {
        long long a = classes_item(&l, i);
        if (a == -1) {
            return -1;
        }
        for (Py_ssize_t j = 0; j < classes_count(&r); j++) {
            long long b = classes_item(&r, j);
            if (b == -1) {
                return -1;
            }
            PyObject *pair = PyLong_FromLongLong(a << 32 | b);
            if (pair == NULL || PySet_Add(pairs, pair) < 0) {
                Py_XDECREF(pair);
                return -1;
            }
            Py_DECREF(pair);
        }
    }
    return 0;
}

/* The list of str `field` (a new reference), or NULL with TypeError. */
static PyObject *
field_words(PyObject *field)
{
    if (!PyList_Check(field)) {
        PyErr_SetString(PyExc_TypeError, "a field is a list of str");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(field); i++) {
        if (check_key(PyList_GET_ITEM(field, i)) < 0) {
            return NULL;
        }
    }
    return Py_NewRef(field);
}

/* A small set of str asked about every word of a story: its members' hashes are compared first,
 * then the strings, cheaper than a look-up in a set or dict a word. A container of more than
 * FEW_MAX members, or of other objects, is asked the general way (`in`). */
#define FEW_MAX 64

typedef struct {
    PyObject *container; /* borrowed */
    int few;
    Py_ssize_t n;
    PyObject *word[FEW_MAX]; /* borrowed from the container */
    Py_hash_t hash[FEW_MAX];
} FewWords;

static int
few_init(FewWords *s, PyObject *container)
{
    s->container = container;
    s->n = 0;
    Py_ssize_t size = PyObject_Size(container);
    if (size < 0) {
        return -1;
    }
    s->few = size <= FEW_MAX;
    PyObject *it = s->few ? PyObject_GetIter(container) : NULL, *word;
    if (s->few && it == NULL) {
        return -1;
    }
    while (s->few && (word = PyIter_Next(it)) != NULL) {
        Py_hash_t h = PyObject_Hash(word);
        Py_DECREF(word); /* the container holds it */
        if (h == -1) {
            Py_DECREF(it);
            return -1;
        }
        if (!PyUnicode_CheckExact(word) || s->n == FEW_MAX) {
            s->few = 0;
            break;
        }
        s->word[s->n] = word;
        s->hash[s->n++] = h;
    }
    Py_XDECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

/* Whether the str `w` is in the set (-1 on error). */
static int
few_has(const FewWords *s, PyObject *w)
{
    if (!s->few) {
        return PySequence_Contains(s->container, w);
    }
    Py_hash_t h = PyObject_Hash(w); /* a str keeps its hash once made */
    if (h == -1) {
        return -1;
    }
    for (Py_ssize_t k = 0; k < s->n; k++) {
        if (s->hash[k] == h && same_str(s->word[k], w)) {
            return 1;
        }
    }
    return 0;
}

PyObject *
KeyTable_odd_pairs(KeyTable *t, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyDict_Check(args[1]) || !PySet_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "odd_pairs(fields, odd: dict, pairs: set)");
        return NULL;
    }
    PyObject *odd = args[1], *pairs = args[2];
    FewWords odd_words;
    if (few_init(&odd_words, odd) < 0) {
        return NULL;
    }
    PyObject *fields = PySequence_Fast(args[0], "odd_pairs() expects a sequence of lists");
    if (fields == NULL) {
        return NULL;
    }
    for (Py_ssize_t f = 0; f < PySequence_Fast_GET_SIZE(fields); f++) {
        PyObject *words = field_words(PySequence_Fast_GET_ITEM(fields, f));
        if (words == NULL) {
            goto error;
        }
        Py_ssize_t last = PyList_GET_SIZE(words) - 1;
        for (Py_ssize_t i = 0; i <= last; i++) {
            int is_odd = few_has(&odd_words, PyList_GET_ITEM(words, i));
            if (is_odd < 0) {
                Py_DECREF(words);
                goto error;
            }
            /* the pair the odd word ends, and the one it begins */
            for (Py_ssize_t at = i - 1; is_odd && at <= i; at++) {
                if (at >= 0 && at < last &&
                    add_pairs(t, odd, PyList_GET_ITEM(words, at), PyList_GET_ITEM(words, at + 1),
                              pairs) < 0) {
                    Py_DECREF(words);
                    goto error;
                }
            }
        }
        Py_DECREF(words);
    }
    Py_DECREF(fields);
    Py_RETURN_NONE;
error:
    Py_DECREF(fields);
    return NULL;
}

PyObject *
KeyTable_adjacent(KeyTable *t, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyAnySet_Check(args[1]) || !PyDict_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "adjacent(fields, starts: set, odd: dict, a, b)");
        return NULL;
    }
    PyObject *starts = args[1], *odd = args[2];
    long long a = PyLong_AsLongLong(args[3]), b = PyLong_AsLongLong(args[4]);
    if ((a == -1 || b == -1) && PyErr_Occurred()) {
        return NULL;
    }
    FewWords start_words;
    if (few_init(&start_words, starts) < 0) {
        return NULL;
    }
    PyObject *fields = PySequence_Fast(args[0], "adjacent() expects a sequence of lists");
    PyObject *out = PyList_New(0);
    if (fields == NULL || out == NULL) {
        goto error;
    }
    for (Py_ssize_t f = 0; f < PySequence_Fast_GET_SIZE(fields); f++) {
        PyObject *words = field_words(PySequence_Fast_GET_ITEM(fields, f));
        if (words == NULL) {
            goto error;
        }
        for (Py_ssize_t i = 0; i + 1 < PyList_GET_SIZE(words); i++) {
            PyObject *w = PyList_GET_ITEM(words, i), *next = PyList_GET_ITEM(words, i + 1);
            int is_start = few_has(&start_words, w);
            Classes c;
            int ok = is_start;
            if (ok == 1) {
                ok = classes_of(t, odd, w, &c) < 0 ? -1 : classes_have(&c, a);
            }
            if (ok == 1) {
                ok = classes_of(t, odd, next, &c) < 0 ? -1 : classes_have(&c, b);
            }
            PyObject *found = NULL;
            if (ok == 1) {
                found = PyTuple_Pack(2, w, next);
                ok = found == NULL || PyList_Append(out, found) < 0 ? -1 : 1;
                Py_XDECREF(found);
            }
            if (ok < 0) {
                Py_DECREF(words);
                goto error;
            }
        }
        Py_DECREF(words);
    }
    Py_DECREF(fields);
    return out;
error:
    Py_XDECREF(fields);
    Py_XDECREF(out);
    return NULL;
}
