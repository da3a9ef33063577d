/* scan: the twin of text.scan_reference, a story field split into case-folded words. */
#include "speedups.h"

/* `[^\W_]` in Python's re for str patterns: sre's SRE_UNI_IS_ALNUM, which is
 * Py_UNICODE_ISALNUM. That is up to four table look-ups a character, so ASCII and the Cyrillic
 * letters (U+0400..U+0481, U+048A..U+04FF: all letters) are answered here first. */
static inline int
is_word_char(Py_UCS4 ch)
{
    if (ch < 0x80) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    }
    if (ch >= 0x400 && ch <= 0x4FF) {
        return ch <= 0x481 || ch >= 0x48A;
    }
    return Py_UNICODE_ISALNUM(ch);
}
#define IS_WORD_CHAR(ch) is_word_char(ch)
#define APOSTROPHE 0x27

/* text.FOLDABLE: ё Ё, Latin letters that carry diacritics, combining marks. */
static inline int
is_foldable(Py_UCS4 ch)
{
    return ch == 0x451 || ch == 0x401 || (ch >= 0xC0 && ch <= 0x24F) ||
           (ch >= 0x1E00 && ch <= 0x1EFF) || (ch >= 0x300 && ch <= 0x36F);
}

/* The case fold of the characters of most English and Ukrainian/Russian news words (ASCII
 * letters and digits, the apostrophe, Cyrillic Ѐ..џ, Ґ ґ), where it is one character and equals
 * str.casefold's; 0 for any other character, whose word goes to str.casefold itself. */
static inline Py_UCS4
simple_fold(Py_UCS4 ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == APOSTROPHE ||
        (ch >= 0x430 && ch <= 0x45F) || ch == 0x491) {
        return ch;
    }
    if (ch >= 'A' && ch <= 'Z') {
        return ch + 32;
    }
    if (ch >= 0x410 && ch <= 0x42F) { /* А..Я */
        return ch + 32;
    }
    if (ch >= 0x400 && ch <= 0x40F) { /* Ѐ..Џ: Ё, Є, І, Ї, ... */
        return ch + 80;
    }
    if (ch == 0x490) { /* Ґ */
        return 0x491;
    }
    return 0;
}

/* text.may_have_other_keys: a folded word that ends in "s" or has a FOLDABLE character. */
static int
may_have_other_keys(PyObject *word)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(word);
    int kind = PyUnicode_KIND(word);
    const void *data = PyUnicode_DATA(word);
    if (n > 0 && PyUnicode_READ(kind, data, n - 1) == 's') {
        return 1;
    }
    if (PyUnicode_IS_ASCII(word)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (is_foldable(PyUnicode_READ(kind, data, i))) {
            return 1;
        }
    }
    return 0;
}

static PyObject *casefold_name; /* interned "casefold" */

/* The folded form of text[start:end] (a new reference), and the written form in *written when
 * it differs (a new reference; NULL when the word is written folded already). */
static PyObject *
fold_token(PyObject *text, int kind, const void *data, Py_ssize_t start, Py_ssize_t end,
           PyObject **written)
{
    int simple = 1, changed = 0;
    Py_UCS4 maxchar = 0;
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        Py_UCS4 f = simple_fold(ch);
        if (f == 0) {
            simple = 0;
            break;
        }
        changed |= f != ch;
        if (f > maxchar) {
            maxchar = f;
        }
    }
    *written = NULL;
    PyObject *token = PyUnicode_Substring(text, start, end);
    if (token == NULL || (simple && !changed)) {
        return token;
    }
    PyObject *folded;
    if (simple) {
        Py_ssize_t n = end - start;
        folded = PyUnicode_New(n, maxchar);
        if (folded == NULL) {
            Py_DECREF(token);
            return NULL;
        }
        int fkind = PyUnicode_KIND(folded);
        void *fdata = PyUnicode_DATA(folded);
        for (Py_ssize_t i = 0; i < n; i++) {
            PyUnicode_WRITE(fkind, fdata, i, simple_fold(PyUnicode_READ(kind, data, start + i)));
        }
        *written = token;
        return folded;
    }
    folded = PyObject_CallMethodNoArgs(token, casefold_name);
    if (folded == NULL) {
        Py_DECREF(token);
        return NULL;
    }
    int same = PyUnicode_Compare(folded, token);
    if (same == -1 && PyErr_Occurred()) {
        Py_DECREF(token);
        Py_DECREF(folded);
        return NULL;
    }
    if (same == 0) {
        Py_DECREF(token);
    }
    else {
        *written = token;
    }
    return folded;
}

const char scan_doc[] =
"scan(text) -> (words, shown, foldable)\n\n"
"The twin of text.scan_reference: the case-folded words of prepared `text` in order, each\n"
"folded word mapped to its first occurrence written otherwise, and the words that may have\n"
"keys other than themselves (text.may_have_other_keys).";

PyObject *
scan(PyObject *Py_UNUSED(module), PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "scan() expects a str");
        return NULL;
    }
    if (PyUnicode_READY(text) < 0) {
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *words = PyList_New(0);
    PyObject *shown = PyDict_New();
    PyObject *special = PyList_New(0);
    if (words == NULL || shown == NULL || special == NULL) {
        goto error;
    }
    Py_ssize_t i = 0;
    while (i < n) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (!IS_WORD_CHAR(ch)) {
            i++;
            continue;
        }
        /* a word: runs of word characters joined by single apostrophes between them */
        Py_ssize_t start = i;
        for (;;) {
            while (i < n) {
                ch = PyUnicode_READ(kind, data, i);
                if (!IS_WORD_CHAR(ch)) {
                    break;
                }
                i++;
            }
            if (i + 1 < n && PyUnicode_READ(kind, data, i) == APOSTROPHE &&
                IS_WORD_CHAR(PyUnicode_READ(kind, data, i + 1))) {
                i++;
                continue;
            }
            break;
        }
        PyObject *written;
        PyObject *folded = fold_token(text, kind, data, start, i, &written);
        if (folded == NULL) {
            goto error;
        }
        int err = PyList_Append(words, folded);
        if (!err && may_have_other_keys(folded)) {
            err = PyList_Append(special, folded);
        }
        if (!err && written != NULL) {
            PyObject *had = PyDict_SetDefault(shown, folded, written);
            err = had == NULL;
        }
        Py_DECREF(folded);
        Py_XDECREF(written);
        if (err) {
            goto error;
        }
    }
    PyObject *result = Py_BuildValue("(NNN)", words, shown, special);
    if (result == NULL) {
        goto error_built;
    }
    return result;
error:
    Py_XDECREF(words);
    Py_XDECREF(shown);
    Py_XDECREF(special);
error_built:
    return NULL;
}

int
scan_init(void)
{
    casefold_name = PyUnicode_InternFromString("casefold");
    return casefold_name == NULL ? -1 : 0;
}
