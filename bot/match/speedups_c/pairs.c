/* KeyTable.odd_pairs and KeyTable.adjacent: the twins of the methods of the same names of
 * keytable.KeyTableReference (which say what they do), for phrases (see pairs.py).
 *
 * Both walk a story's words in order, which in Python is a loop of ~600 steps a story for a
 * handful of places that matter; here it is a loop of compares.
 *
 * Python code can run in the middle of a call: a class id's __index__, the __eq__ of a key of
 * `odd` whose hash a word shares, an allocation that runs the garbage collector. So the words are
 * copied into tuples first, the small sets asked about every word hold their own references, and
 * a word's classes are converted into C integers, from a copy of its list, before any is used.
 */
#include "keytable.h"

/* A word's classes, as C integers: odd[word] (a list of ints) where the word is in `odd`, else
 * its value in the table where that is a class (≥ 0), else none. */
#define INLINE_CLASSES 8

typedef struct {
    Py_ssize_t n;
    long long *ids; /* `inline_ids`, or a PyMem block for more */
    long long inline_ids[INLINE_CLASSES];
} Classes;

static void
classes_free(Classes *c)
{
    if (c->ids != c->inline_ids) {
        PyMem_Free(c->ids);
    }
    c->ids = c->inline_ids;
    c->n = 0;
}

/* The class ids of the list `list`, each an int in 0..2**31-1 (through __index__). */
static int
classes_from_list(PyObject *list, Classes *c)
{
    PyObject *copy = PySequence_Tuple(list); /* __index__ below may change the list itself */
    if (copy == NULL) {
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(copy);
    if (n > INLINE_CLASSES) {
        c->ids = PyMem_Malloc((size_t)n * sizeof(long long));
        if (c->ids == NULL) {
            c->ids = c->inline_ids;
            Py_DECREF(copy);
            PyErr_NoMemory();
            return -1;
        }
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *index = PyNumber_Index(PyTuple_GET_ITEM(copy, k));
        int overflow = 0;
        long long v = index == NULL ? -1 : PyLong_AsLongLongAndOverflow(index, &overflow);
        Py_XDECREF(index);
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(copy);
            return -1;
        }
        if (overflow || v < 0 || v > INT32_MAX) {
            PyErr_SetString(PyExc_ValueError, "a class id is an int in 0..2**31-1");
            Py_DECREF(copy);
            return -1;
        }
        c->ids[c->n++] = v;
    }
    Py_DECREF(copy);
    return 0;
}

static int
classes_of(KeyTable *t, PyObject *odd, PyObject *word, Classes *c)
{
    c->n = 0;
    c->ids = c->inline_ids;
    PyObject *list = PyDict_GetItemWithError(odd, word); /* borrowed */
    if (list != NULL) {
        if (!PyList_Check(list)) {
            PyErr_SetString(PyExc_TypeError, "odd maps a word to a list of class ids");
            return -1;
        }
        Py_INCREF(list);
        int err = classes_from_list(list, c);
        Py_DECREF(list);
        if (err < 0) {
            classes_free(c);
        }
        return err;
    }
    if (PyErr_Occurred()) {
        return -1;
    }
    long long one = value_of(t, word);
    if (one == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (one >= 0) { /* a table value is at most 2**31-1 */
        c->ids[c->n++] = one;
    }
    return 0;
}

static int
classes_have(const Classes *c, long long cid)
{
    for (Py_ssize_t k = 0; k < c->n; k++) {
        if (c->ids[k] == cid) {
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
    if (classes_of(t, odd, left, &l) < 0) {
        return -1;
    }
    if (l.n == 0) { /* as the reference: the right word's classes are not even read */
        classes_free(&l);
        return 0;
    }
    if (classes_of(t, odd, right, &r) < 0) {
        classes_free(&l);
        return -1;
    }
    int err = 0;
    for (Py_ssize_t i = 0; !err && i < l.n; i++) {
        for (Py_ssize_t j = 0; !err && j < r.n; j++) {
            /* both in 0..2**31-1: the pair fits in 63 bits */
            unsigned long long pair = (unsigned long long)l.ids[i] << 32 | (unsigned long long)r.ids[j];
            PyObject *value = PyLong_FromUnsignedLongLong(pair);
            err = value == NULL || PySet_Add(pairs, value) < 0;
            Py_XDECREF(value);
        }
    }
    classes_free(&l);
    classes_free(&r);
    return err ? -1 : 0;
}

/* The fields as a tuple of tuples of str (a new reference), or NULL with TypeError: a copy, so
 * that nothing done to the caller's lists during the call moves the words. */
static PyObject *
fields_words(PyObject *fields)
{
    PyObject *given = PySequence_Tuple(fields); /* a generator runs its code here */
    if (given == NULL) {
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(given);
    PyObject *copy = PyTuple_New(n);
    if (copy == NULL) {
        Py_DECREF(given);
        return NULL;
    }
    for (Py_ssize_t f = 0; f < n; f++) {
        PyObject *field = PyTuple_GET_ITEM(given, f);
        if (!PyList_Check(field)) {
            PyErr_SetString(PyExc_TypeError, "a field is a list of str");
            goto error;
        }
        PyObject *words = PyList_AsTuple(field);
        if (words == NULL) {
            goto error;
        }
        PyTuple_SET_ITEM(copy, f, words);
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(words); i++) {
            if (check_key(PyTuple_GET_ITEM(words, i)) < 0) {
                goto error;
            }
        }
    }
    Py_DECREF(given);
    return copy;
error:
    Py_DECREF(given);
    Py_DECREF(copy); /* items not yet set are NULL, which a tuple's dealloc skips */
    return NULL;
}

/* A small set of str asked about every word of a story: its members' hashes are compared first,
 * then the strings, cheaper than a look-up in a set or dict a word. A container that is not
 * exactly a set, frozenset or dict, has more than FEW_MAX members or members other than exact
 * str, is asked the general way (`in`). The members are held (new references) until few_free. */
#define FEW_MAX 64

typedef struct {
    PyObject *container; /* borrowed: an argument of the call */
    int few;
    Py_ssize_t n;
    PyObject *word[FEW_MAX]; /* owned */
    Py_hash_t hash[FEW_MAX];
} FewWords;

static void
few_free(FewWords *s)
{
    for (Py_ssize_t k = 0; k < s->n; k++) {
        Py_DECREF(s->word[k]);
    }
    s->n = 0;
}

static int
few_init(FewWords *s, PyObject *container)
{
    s->container = container;
    s->n = 0;
    s->few = (PySet_CheckExact(container) || PyFrozenSet_CheckExact(container) ||
              PyDict_CheckExact(container)) &&
             (PyDict_CheckExact(container) ? PyDict_GET_SIZE(container)
                                           : PySet_GET_SIZE(container)) <= FEW_MAX;
    if (!s->few) {
        return 0;
    }
    PyObject *it = PyObject_GetIter(container), *word;
    if (it == NULL) {
        return -1;
    }
    while ((word = PyIter_Next(it)) != NULL) {
        if (!PyUnicode_CheckExact(word) || s->n == FEW_MAX) {
            Py_DECREF(word);
            few_free(s);
            s->few = 0;
            break;
        }
        Py_hash_t h = slot_hash(word); /* str's own: no Python code */
        if (h == -1) {
            Py_DECREF(word);
            break;
        }
        s->word[s->n] = word;
        s->hash[s->n++] = h;
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) {
        few_free(s);
        return -1;
    }
    return 0;
}

/* Whether the str `w` is in the set (-1 on error). */
static int
few_has(const FewWords *s, PyObject *w)
{
    if (!s->few) {
        return PySequence_Contains(s->container, w);
    }
    Py_hash_t h = slot_hash(w);
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
    PyObject *fields = fields_words(args[0]); /* first: a generator runs its code here */
    if (fields == NULL) {
        return NULL;
    }
    FewWords odd_words;
    if (few_init(&odd_words, odd) < 0) {
        Py_DECREF(fields);
        return NULL;
    }
    int err = 0;
    for (Py_ssize_t f = 0; !err && f < PyTuple_GET_SIZE(fields); f++) {
        PyObject *words = PyTuple_GET_ITEM(fields, f);
        Py_ssize_t last = PyTuple_GET_SIZE(words) - 1;
        for (Py_ssize_t i = 0; !err && i <= last; i++) {
            int is_odd = few_has(&odd_words, PyTuple_GET_ITEM(words, i));
            err = is_odd < 0;
            /* the pair the odd word ends, and the one it begins */
            for (Py_ssize_t at = i - 1; !err && is_odd == 1 && at <= i; at++) {
                if (at >= 0 && at < last) {
                    err = add_pairs(t, odd, PyTuple_GET_ITEM(words, at),
                                    PyTuple_GET_ITEM(words, at + 1), pairs) < 0;
                }
            }
        }
    }
    few_free(&odd_words);
    Py_DECREF(fields);
    if (err) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* A class id argument: through __index__; one that no class can have (outside 0..2**31-1)
 * becomes -1, which matches nothing, as in the reference. */
static int
class_argument(PyObject *arg, long long *out)
{
    PyObject *index = PyNumber_Index(arg);
    if (index == NULL) {
        return -1;
    }
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(index, &overflow);
    Py_DECREF(index);
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    *out = overflow || v < 0 || v > INT32_MAX ? -1 : v;
    return 0;
}

PyObject *
KeyTable_adjacent(KeyTable *t, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyAnySet_Check(args[1]) || !PyDict_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "adjacent(fields, starts: set, odd: dict, a, b)");
        return NULL;
    }
    PyObject *starts = args[1], *odd = args[2];
    long long a, b;
    if (class_argument(args[3], &a) < 0 || class_argument(args[4], &b) < 0) {
        return NULL;
    }
    PyObject *fields = fields_words(args[0]);
    if (fields == NULL) {
        return NULL;
    }
    FewWords start_words;
    if (few_init(&start_words, starts) < 0) {
        Py_DECREF(fields);
        return NULL;
    }
    PyObject *out = PyList_New(0);
    int err = out == NULL;
    for (Py_ssize_t f = 0; !err && f < PyTuple_GET_SIZE(fields); f++) {
        PyObject *words = PyTuple_GET_ITEM(fields, f);
        for (Py_ssize_t i = 0; !err && i + 1 < PyTuple_GET_SIZE(words); i++) {
            PyObject *w = PyTuple_GET_ITEM(words, i), *next = PyTuple_GET_ITEM(words, i + 1);
            int ok = few_has(&start_words, w);
            Classes c;
            if (ok == 1) {
                ok = classes_of(t, odd, w, &c) < 0 ? -1 : classes_have(&c, a);
                if (ok >= 0) {
                    classes_free(&c);
                }
            }
            if (ok == 1) {
                ok = classes_of(t, odd, next, &c) < 0 ? -1 : classes_have(&c, b);
                if (ok >= 0) {
                    classes_free(&c);
                }
            }
            if (ok == 1) {
                PyObject *found = PyTuple_Pack(2, w, next);
                ok = found == NULL || PyList_Append(out, found) < 0 ? -1 : 1;
                Py_XDECREF(found);
            }
            err = ok < 0;
        }
    }
    few_free(&start_words);
    Py_DECREF(fields);
    if (err) {
        Py_XDECREF(out);
        return NULL;
    }
    return out;
}
