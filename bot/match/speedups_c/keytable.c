/* KeyTable: str → int, the twin of keytable.KeyTableReference (a dict).
 *
 * The matcher looks up every distinct word of every story in a table of a few hundred thousand
 * keys. In a dict each look-up is a chain of dependent cache misses (index, entry, key), paid
 * one after another. Here a whole story's words are looked up in one call, in stages: every
 * slot is prefetched first, then every candidate key, then the keys are compared, so the misses
 * of different words overlap instead of adding up.
 *
 * Open addressing with linear probing over (hash, key, value) slots; a slot's hash is the key's
 * str hash with EMPTY and DELETED reserved (so a found hash is checked against the key itself).
 *
 * A pointer into the slots (a found Slot) is good only until the table changes, and Python code
 * can change it: an __index__, a generator, an allocation that runs the garbage collector and so
 * some object's __del__. So every input that may run Python code is converted first, and no
 * Python code runs between a look-up and the last use of what it found.
 */
#include "keytable.h"

static int
resize(KeyTable *t, size_t capacity)
{
    Slot *slots = PyMem_Calloc(capacity, sizeof(Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t mask = capacity - 1;
    if (t->slots != NULL) {
        for (size_t i = 0; i <= t->mask; i++) {
            Slot *s = &t->slots[i];
            if (s->key == NULL) {
                continue;
            }
            size_t j = (size_t)s->hash & mask;
            while (slots[j].hash != EMPTY) {
                j = (j + 1) & mask;
            }
            slots[j] = *s;
        }
        PyMem_Free(t->slots);
    }
    t->slots = slots;
    t->mask = mask;
    t->filled = t->used;
    return 0;
}

static PyObject *
KeyTable_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) || (kwds != NULL && PyDict_GET_SIZE(kwds))) {
        PyErr_SetString(PyExc_TypeError, "KeyTable() takes no arguments");
        return NULL;
    }
    KeyTable *t = (KeyTable *)type->tp_alloc(type, 0);
    if (t == NULL) {
        return NULL;
    }
    if (resize(t, 8) < 0) {
        Py_DECREF(t);
        return NULL;
    }
    return (PyObject *)t;
}

static void
KeyTable_dealloc(KeyTable *t)
{
    if (t->slots != NULL) {
        for (size_t i = 0; i <= t->mask; i++) {
            Py_XDECREF(t->slots[i].key);
        }
        PyMem_Free(t->slots);
    }
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static Py_ssize_t
KeyTable_len(KeyTable *t)
{
    return (Py_ssize_t)t->used;
}

static int
KeyTable_contains(KeyTable *t, PyObject *key)
{
    Slot *s;
    return locate(t, key, &s) < 0 ? -1 : s != NULL;
}

static PyObject *
KeyTable_subscript(KeyTable *t, PyObject *key)
{
    Slot *s;
    if (locate(t, key, &s) < 0) {
        return NULL;
    }
    if (s == NULL) {
        PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return PyLong_FromLongLong(s->value);
}

static int
KeyTable_ass_subscript(KeyTable *t, PyObject *key, PyObject *value)
{
    long long v = 0;
    /* first: the value's __index__ may change the table, and with it any slot found before */
    if (value != NULL && table_value(value, &v) < 0) {
        return -1;
    }
    if (check_key(key) < 0) {
        return -1;
    }
    Py_hash_t h = slot_hash(key);
    if (h == -1) {
        return -1;
    }
    Slot *s = find(t, key, h);
    if (value == NULL) { /* del t[key] */
        if (s == NULL) {
            PyErr_SetObject(PyExc_KeyError, key);
            return -1;
        }
        PyObject *gone = s->key;
        s->key = NULL;
        s->hash = DELETED;
        t->used--;
        Py_DECREF(gone); /* last: a str subclass's __del__ sees the table consistent */
        return 0;
    }
    if (s != NULL) {
        s->value = v;
        return 0;
    }
    if ((t->filled + 1) * 3 >= (t->mask + 1) * 2) { /* keep the load under 2/3 */
        size_t capacity = t->mask + 1;
        while ((t->used + 1) * 3 >= capacity) { /* and at most 1/3 after growing */
            capacity *= 2;
        }
        if (resize(t, capacity) < 0) {
            return -1;
        }
    }
    size_t i = (size_t)h & t->mask;
    while (t->slots[i].hash != EMPTY && t->slots[i].hash != DELETED) {
        i = (i + 1) & t->mask;
    }
    if (t->slots[i].hash == EMPTY) {
        t->filled++;
    }
    Py_INCREF(key);
    t->slots[i] = (Slot){h, key, v};
    t->used++;
    return 0;
}

static PyObject *
KeyTable_get(KeyTable *t, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "get(key, default=None)");
        return NULL;
    }
    Slot *s;
    if (locate(t, args[0], &s) < 0) {
        return NULL;
    }
    if (s != NULL) {
        return PyLong_FromLongLong(s->value);
    }
    PyObject *dflt = nargs == 2 ? args[1] : Py_None;
    Py_INCREF(dflt);
    return dflt;
}

static PyObject *
KeyTable_pop(KeyTable *t, PyObject *key)
{
    PyObject *value = KeyTable_subscript(t, key);
    if (value != NULL && KeyTable_ass_subscript(t, key, NULL) < 0) {
        Py_CLEAR(value);
    }
    return value;
}

/* Note `word` under class `c` in `more` (class → its words other than `first`) if it is new. */
static int
add_other_word(PyObject *more, PyObject *c, PyObject *first, PyObject *word)
{
    if (same_str(first, word)) {
        return 0;
    }
    PyObject *others = PyDict_GetItemWithError(more, c);
    if (others == NULL) {
        if (PyErr_Occurred()) {
            return -1;
        }
        others = PyList_New(0);
        int err = others == NULL || PyDict_SetItem(more, c, others) < 0;
        Py_XDECREF(others); /* the dict holds it */
        if (err) {
            return -1;
        }
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(others); i++) {
        if (same_str(PyList_GET_ITEM(others, i), word)) {
            return 0;
        }
    }
    return PyList_Append(others, word);
}

/* The slot of each key of keys[0:n] in found[0:n] (NULL where absent), in stages: hash every
 * key and prefetch its first slot; then find each key's candidate slot (the first with its hash)
 * and prefetch the key there; then compare (a hash shared by two keys: probe on, the slow way).
 * `scratch` holds n hashes. */
static int
look_up(KeyTable *t, PyObject **keys, Py_ssize_t n, Slot **found, Py_hash_t *scratch)
{
    Slot *slots = t->slots;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (check_key(keys[k]) < 0 || (scratch[k] = slot_hash(keys[k])) == -1) {
            return -1;
        }
        PREFETCH(&slots[(size_t)scratch[k] & t->mask]);
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_hash_t h = scratch[k];
        size_t i = (size_t)h & t->mask;
        while (slots[i].hash != EMPTY && slots[i].hash != h) {
            i = (i + 1) & t->mask;
        }
        if (slots[i].hash == EMPTY) {
            found[k] = NULL;
        }
        else {
            PREFETCH(slots[i].key);
            PREFETCH((const char *)slots[i].key + 64);
            found[k] = &slots[i];
        }
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        if (found[k] != NULL && !same_str(found[k]->key, keys[k])) {
            found[k] = find(t, keys[k], scratch[k]);
        }
    }
    return 0;
}

static PyObject *
KeyTable_get_many(KeyTable *t, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "get_many(keys, default)");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(args[0], "get_many() expects a sequence of str");
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Slot **found = PyMem_Malloc(((size_t)n + 1) * sizeof(Slot *));
    Py_hash_t *scratch = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_hash_t));
    /* made before the look-ups: a new list may run the garbage collector, and so Python code that
     * changes the table (or `seq`) under the slots found */
    PyObject *out = PyList_New(n);
    if (found == NULL || scratch == NULL || out == NULL) {
        if (out != NULL) {
            PyErr_NoMemory();
        }
        Py_CLEAR(out);
        goto done;
    }
    if (look_up(t, PySequence_Fast_ITEMS(seq), n, found, scratch) < 0) {
        Py_CLEAR(out);
        goto done;
    }
    /* from here to the end no Python code runs: an int is not tracked by the collector */
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *v = found[k] == NULL ? Py_NewRef(args[1]) : PyLong_FromLongLong(found[k]->value);
        if (v == NULL) {
            Py_CLEAR(out); /* the unset items are NULL, which a list's dealloc skips */
            goto done;
        }
        PyList_SET_ITEM(out, k, v);
    }
done:
    PyMem_Free(found);
    PyMem_Free(scratch);
    Py_DECREF(seq);
    return out;
}

static int
cmp_long(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Add the distinct values of v[0:n] (sorted in place) to `set`, skipping negative ones. */
static int
add_distinct(PyObject *set, long long *v, Py_ssize_t n)
{
    qsort(v, (size_t)n, sizeof(long long), cmp_long);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (v[i] < 0 || (i > 0 && v[i] == v[i - 1])) {
            continue;
        }
        PyObject *x = PyLong_FromLongLong(v[i]);
        if (x == NULL || PySet_Add(set, x) < 0) {
            Py_XDECREF(x);
            return -1;
        }
        Py_DECREF(x);
    }
    return 0;
}

/* The classes met in one field of classes_and_pairs, by id: each one's int and first word, so
 * that an int object and a dict entry are made once a class, not once a word. Open addressing over
 * a table kept between calls and emptied by a new generation number. The garbage collector can
 * run Python code in the middle of a call (a new list in add_other_word), and that code can call
 * classes_and_pairs again: such a nested call gets a table of its own. */
typedef struct {
    unsigned long long gen;
    long long cid;
    PyObject *c;     /* the class id as an int (a reference owned until the field is done) */
    PyObject *first; /* the class's first word (borrowed from the `words` dict) */
} ClassSeen;

typedef struct {
    ClassSeen *slots;
    size_t mask;
    unsigned long long gen;
} SeenTable;

static SeenTable shared_seen;
static int shared_seen_busy;

/* Empty the table, with room for n classes at most half full. */
static int
seen_reset(SeenTable *seen, Py_ssize_t n)
{
    size_t want = 64;
    while (want < 2 * (size_t)n + 2) {
        want *= 2;
    }
    if (seen->slots == NULL || seen->mask + 1 < want) {
        ClassSeen *bigger = PyMem_Calloc(want, sizeof(ClassSeen));
        if (bigger == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        PyMem_Free(seen->slots);
        seen->slots = bigger;
        seen->mask = want - 1;
        seen->gen = 0;
    }
    seen->gen++;
    return 0;
}

/* The slot of class `cid`: its own if met in this field (gen is current), else a free one. */
static ClassSeen *
seen_slot(SeenTable *seen, long long cid)
{
    size_t i = ((size_t)cid * 0x9E3779B97F4A7C15ULL) >> 20 & seen->mask;
    while (seen->slots[i].gen == seen->gen && seen->slots[i].cid != cid) {
        i = (i + 1) & seen->mask;
    }
    return &seen->slots[i];
}

static PyObject *
KeyTable_classes_and_pairs(KeyTable *t, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "classes_and_pairs(fields, firsts)");
        return NULL;
    }
    /* The inputs are copied into tuples first (reading a generator runs its code): what Python
     * code may do to the caller's lists later in the call cannot move the words under us. */
    PyObject *fields = PySequence_Tuple(args[0]);
    if (fields == NULL) {
        return NULL;
    }
    Py_buffer firsts;
    if (PyObject_GetBuffer(args[1], &firsts, PyBUF_SIMPLE) < 0) {
        Py_DECREF(fields);
        return NULL;
    }
    const unsigned char *first = firsts.buf;
    Py_ssize_t nfirst = firsts.len;
    SeenTable own = {NULL, 0, 0};
    int nested = shared_seen_busy;
    SeenTable *seen = nested ? &own : &shared_seen;
    shared_seen_busy = 1;
    PyObject *words = PyDict_New(), *pairs = PySet_New(NULL), *several = PySet_New(NULL);
    PyObject *more = PyDict_New();
    PyObject *cids = NULL, *result = NULL;
    long long *values = NULL, *found = NULL;
    Py_hash_t *scratch = NULL;
    Slot **slots = NULL;
    ClassSeen **used = NULL;
    if (words == NULL || pairs == NULL || several == NULL || more == NULL) {
        goto done;
    }
    for (Py_ssize_t f = 0; f < PyTuple_GET_SIZE(fields); f++) {
        PyObject *seq = PySequence_Tuple(PyTuple_GET_ITEM(fields, f));
        if (seq == NULL) {
            goto done;
        }
        Py_ssize_t n = PyTuple_GET_SIZE(seq);
        PyMem_Free(values);
        PyMem_Free(found);
        PyMem_Free(scratch);
        PyMem_Free(slots);
        PyMem_Free(used);
        values = PyMem_Malloc(((size_t)n + 1) * sizeof(long long));
        found = PyMem_Malloc(((size_t)n + 1) * sizeof(long long));
        scratch = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_hash_t));
        slots = PyMem_Malloc(((size_t)n + 1) * sizeof(Slot *));
        used = PyMem_Malloc(((size_t)n + 1) * sizeof(ClassSeen *));
        if (values == NULL || found == NULL || scratch == NULL || slots == NULL || used == NULL) {
            Py_DECREF(seq);
            PyErr_NoMemory();
            goto done;
        }
        PyObject **keys = &PyTuple_GET_ITEM(seq, 0);
        int err = look_up(t, keys, n, slots, scratch);
        /* the values now, before anything that can run Python code and change the table */
        for (Py_ssize_t i = 0; !err && i < n; i++) {
            values[i] = slots[i] == NULL ? -1 : slots[i]->value;
        }
        /* each class → its first word, and its other words in `more` */
        if (!err && seen_reset(seen, n) < 0) {
            err = 1;
        }
        Py_ssize_t nused = 0;
        for (Py_ssize_t i = 0; !err && i < n; i++) {
            long long cid = values[i];
            if (cid == SEVERAL) {
                err = PySet_Add(several, keys[i]) < 0;
                continue;
            }
            if (cid < 0) {
                continue;
            }
            if (cid > INT32_MAX) { /* not stored by KeyTable: kept as a guard for the shift */
                PyErr_SetString(PyExc_ValueError, "classes_and_pairs: a class id over 2**31");
                err = 1;
                break;
            }
            ClassSeen *c = seen_slot(seen, cid);
            if (c->gen == seen->gen) {
                err = add_other_word(more, c->c, c->first, keys[i]) < 0;
                continue;
            }
            PyObject *id = PyLong_FromLongLong(cid);
            PyObject *first_word = id == NULL ? NULL : PyDict_SetDefault(words, id, keys[i]);
            if (first_word == NULL) {
                Py_XDECREF(id);
                err = 1;
                break;
            }
            *c = (ClassSeen){seen->gen, cid, id, first_word};
            used[nused++] = c;
            if (first_word != keys[i]) { /* the class was met in an earlier field */
                err = add_other_word(more, id, first_word, keys[i]) < 0;
            }
        }
        for (Py_ssize_t k = 0; k < nused; k++) {
            Py_DECREF(used[k]->c);
        }
        if (err) {
            Py_DECREF(seq);
            goto done;
        }
        Py_ssize_t npairs = 0;
        for (Py_ssize_t i = 0; i + 1 < n; i++) {
            long long a = values[i], b = values[i + 1];
            /* 0 <= a, b <= INT32_MAX (checked above): the pair fits, with no signed overflow */
            if (a >= 0 && b >= 0 && a < nfirst && first[a]) {
                found[npairs++] = (long long)((unsigned long long)a << 32 | (unsigned long long)b);
            }
        }
        Py_DECREF(seq);
        if (add_distinct(pairs, found, npairs) < 0) {
            goto done;
        }
    }
    cids = PySet_New(words);
    if (cids != NULL) {
        result = PyTuple_Pack(5, cids, pairs, words, several, more);
    }
done:
    if (nested) {
        PyMem_Free(own.slots);
    }
    else {
        shared_seen_busy = 0;
    }
    PyBuffer_Release(&firsts);
    PyMem_Free(slots);
    PyMem_Free(used);
    PyMem_Free(values);
    PyMem_Free(found);
    PyMem_Free(scratch);
    Py_DECREF(fields);
    Py_XDECREF(cids);
    Py_XDECREF(pairs);
    Py_XDECREF(words);
    Py_XDECREF(several);
    Py_XDECREF(more);
    return result;
}

static PyMappingMethods KeyTable_as_mapping = {
    .mp_length = (lenfunc)KeyTable_len,
    .mp_subscript = (binaryfunc)KeyTable_subscript,
    .mp_ass_subscript = (objobjargproc)KeyTable_ass_subscript,
};

static PySequenceMethods KeyTable_as_sequence = {
    .sq_contains = (objobjproc)KeyTable_contains,
};

static PyMethodDef KeyTable_methods[] = {
    {"get", (PyCFunction)(void (*)(void))KeyTable_get, METH_FASTCALL,
     "get(key, default=None): the value of key, or default."},
    {"pop", (PyCFunction)KeyTable_pop, METH_O, "pop(key): remove key and return its value."},
    {"get_many", (PyCFunction)(void (*)(void))KeyTable_get_many, METH_FASTCALL,
     "get_many(keys, default): [get(k, default) for k in keys], with the look-ups overlapped."},
    {"classes_and_pairs", (PyCFunction)(void (*)(void))KeyTable_classes_and_pairs, METH_FASTCALL,
     "classes_and_pairs(fields, firsts): see keytable.KeyTableReference.classes_and_pairs."},
    {"odd_pairs", (PyCFunction)(void (*)(void))KeyTable_odd_pairs, METH_FASTCALL,
     "odd_pairs(fields, odd, pairs): see keytable.KeyTableReference.odd_pairs."},
    {"adjacent", (PyCFunction)(void (*)(void))KeyTable_adjacent, METH_FASTCALL,
     "adjacent(fields, starts, odd, a, b): see keytable.KeyTableReference.adjacent."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject KeyTableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "bot.match._speedups.KeyTable",
    .tp_doc = "str → int; the twin of keytable.KeyTableReference.",
    .tp_basicsize = sizeof(KeyTable),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = KeyTable_new,
    .tp_dealloc = (destructor)KeyTable_dealloc,
    .tp_as_mapping = &KeyTable_as_mapping,
    .tp_as_sequence = &KeyTable_as_sequence,
    .tp_methods = KeyTable_methods,
};
