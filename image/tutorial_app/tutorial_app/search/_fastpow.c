/*
 * Native nonce search for the proof of work defined in pow.py:
 *
 *     hash = sha256(prefix || decimal(nonce)),  valid when hash < 2^(256 - difficulty)
 *
 * where prefix is the UTF-8 encoding of the input. Nothing here changes what a
 * result is; it only computes the same SHA-256 with less work per nonce:
 *
 *  - the prefix's full 64-byte blocks are hashed once (the "midstate");
 *  - per nonce only the tail (leftover prefix bytes, the digits, padding) is
 *    compressed; when the digits straddle two blocks, the first block holds
 *    only high digits that change rarely, so its output state is cached and
 *    most nonces cost one compression;
 *  - digits are incremented in place as ASCII, so no formatting per nonce;
 *  - the digest is compared with the target as 32-bit words, no hex;
 *  - a "run" of nonces changes only the digits in the last two words of the
 *    block holding the last digit, so most of the block is fixed per run
 *    (_fastpow_run.c);
 *  - five paths, each available where cpuid says so (_fastpow_cpu.c; the
 *    caller picks one, see tutorial_app.kernels): 16 nonces per step in
 *    AVX-512 registers (_fastpow_x16.c), four software-pipelined SHA-NI
 *    chains (_fastpow_shani4.c), two nonces side by side on the x86 SHA
 *    extensions (two overlapping dependency chains, _fastpow_shani2.c), 8
 *    nonces per step in AVX2 registers (_fastpow_x8.c), or portable C
 *    (_fastpow_portable.c). The SHA-NI, AVX-512 and AVX2 code carries
 *    function-level target attributes, so one build runs on any x86-64;
 *  - runs end at 2**64 - 1 without wrapping (nonces are uint64).
 *
 * This unit is the Python module: the Searcher type, which picks a path and
 * dispatches a scan to it, and the module's functions and constants.
 * SHA-256 follows FIPS 180-4; the SHA-NI paths use the Intel intrinsics.
 * Searches release the GIL; a Searcher is immutable after creation, so
 * several threads may scan with the same one at once.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

#include "_fastpow_cpu.h"
#include "_fastpow_paths.h"

static int have_sha_ni, have_avx512, have_avx2; /* set once at import */

enum {
    BACKEND_AUTO = 0,
    BACKEND_PORTABLE = 1,
    BACKEND_SHA_NI = 2,
    BACKEND_AVX512 = 3,
    BACKEND_AVX2 = 4,
    BACKEND_SHA_NI4 = 5
};

typedef struct {
    PyObject_HEAD
    fastpow_searcher search; /* the midstate and the target */
    int difficulty;
    int backend;    /* the path it runs: BACKEND_PORTABLE, _SHA_NI, _SHA_NI4, _AVX512, _AVX2 */
    int use_sha_ni; /* single compressions (run set-up, digests) on SHA-NI */
} Searcher;

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */
/* ------------------------------------------------------------------ */

#ifdef FASTPOW_X86
/* A kernel over each run in turn: 16 (AVX-512F) or 8 (AVX2) lanes, or four SHA-NI chains. */
static int scan_lanes(const fastpow_searcher *s, fastpow_run_kernel kernel, uint64_t first,
                      uint64_t last, uint64_t *found) {
    fastpow_run r;
    uint64_t n = first;
    for (;;) {
        fastpow_setup_run(s, n, last, &r);
        if (kernel(&r, n, s->mask[0], fastpow_check, s, found)) return 1;
        n = r.end;
        if (n == last) return 0;
        n++;
    }
}
#endif

static int searcher_scan_range(const Searcher *self, uint64_t first, uint64_t last,
                               uint64_t *found) {
    const fastpow_searcher *s = &self->search;
#ifdef FASTPOW_X86
    if (self->backend == BACKEND_AVX512)
        return scan_lanes(s, fastpow_x16_scan_run, first, last, found);
    if (self->backend == BACKEND_AVX2)
        return scan_lanes(s, fastpow_x8_scan_run, first, last, found);
    if (self->backend == BACKEND_SHA_NI) return fastpow_scan_shani2(s, first, last, found);
    if (self->backend == BACKEND_SHA_NI4)
        return scan_lanes(s, fastpow_shani4_scan_run, first, last, found);
#endif
    return fastpow_scan_portable(s, first, last, found);
}

static fastpow_compress_fn searcher_compress(const Searcher *self) {
#ifdef FASTPOW_X86
    if (self->use_sha_ni) return fastpow_compress_shani;
#endif
    return fastpow_compress_portable;
}

/* ------------------------------------------------------------------ */
/* Python binding                                                      */
/* ------------------------------------------------------------------ */

static int searcher_init(Searcher *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"prefix", "difficulty", "backend", NULL};
    Py_buffer prefix;
    int difficulty, backend = BACKEND_AUTO;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*i|i", kwlist, &prefix, &difficulty, &backend))
        return -1;
    if (difficulty < 0 || difficulty > 256) {
        PyBuffer_Release(&prefix);
        PyErr_Format(PyExc_ValueError, "difficulty must be between 0 and 256, got %d", difficulty);
        return -1;
    }
    if (backend < BACKEND_AUTO || backend > BACKEND_SHA_NI4) {
        PyBuffer_Release(&prefix);
        PyErr_Format(PyExc_ValueError, "unknown backend %d", backend);
        return -1;
    }
    const char *missing = (backend == BACKEND_SHA_NI || backend == BACKEND_SHA_NI4) && !have_sha_ni
                              ? "the SHA extensions"
                          : backend == BACKEND_AVX512 && !have_avx512 ? "AVX-512F"
                          : backend == BACKEND_AVX2 && !have_avx2     ? "AVX2"
                                                                      : NULL;
    if (missing) {
        PyBuffer_Release(&prefix);
        PyErr_Format(PyExc_ValueError, "this CPU (or OS) has no %s", missing);
        return -1;
    }
    /* A fixed order for callers that do not choose; tutorial_app.kernels
     * measures the paths on the machine at hand and passes its choice. */
    if (backend == BACKEND_AUTO)
        backend = have_avx512   ? BACKEND_AVX512
                  : have_sha_ni ? BACKEND_SHA_NI4
                  : have_avx2   ? BACKEND_AVX2
                                : BACKEND_PORTABLE;
    self->backend = backend;
    self->use_sha_ni = have_sha_ni && backend != BACKEND_PORTABLE;
    self->difficulty = difficulty;
    fastpow_compress_fn compress = searcher_compress(self);
    Py_BEGIN_ALLOW_THREADS
    fastpow_searcher_init(&self->search, compress, prefix.buf, (size_t)prefix.len, difficulty);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&prefix);
    return 0;
}

static int parse_nonce(PyObject *obj, uint64_t *out) {
    unsigned long long v = PyLong_AsUnsignedLongLong(obj);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError) || PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "nonces must be integers in [0, 2**64 - 1]");
        }
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

PyDoc_STRVAR(scan_doc,
             "scan(start, count) -> int | None\n\n"
             "The smallest valid nonce in [start, start + count), or None. Releases the GIL.");

static PyObject *searcher_scan(Searcher *self, PyObject *args) {
    PyObject *start_obj, *count_obj;
    uint64_t start, count, found = 0;
    if (!PyArg_ParseTuple(args, "OO", &start_obj, &count_obj)) return NULL;
    if (parse_nonce(start_obj, &start) < 0 || parse_nonce(count_obj, &count) < 0) return NULL;
    if (count == 0) Py_RETURN_NONE;
    if (count - 1 > UINT64_MAX - start) {
        PyErr_SetString(PyExc_ValueError, "the range goes past 2**64 - 1");
        return NULL;
    }
    int hit;
    Py_BEGIN_ALLOW_THREADS
    hit = searcher_scan_range(self, start, start + (count - 1), &found);
    Py_END_ALLOW_THREADS
    if (!hit) Py_RETURN_NONE;
    return PyLong_FromUnsignedLongLong(found);
}

PyDoc_STRVAR(digest_doc, "digest(nonce) -> bytes\n\nsha256(prefix + str(nonce)), 32 bytes.");

static PyObject *searcher_digest_py(Searcher *self, PyObject *arg) {
    uint64_t n;
    uint8_t out[32];
    if (parse_nonce(arg, &n) < 0) return NULL;
    fastpow_digest(&self->search, n, out);
    return PyBytes_FromStringAndSize((const char *)out, 32);
}

static PyObject *searcher_get_sha_ni(Searcher *self, void *closure) {
    (void)closure;
    return PyBool_FromLong(self->use_sha_ni);
}

static PyObject *searcher_get_backend(Searcher *self, void *closure) {
    (void)closure;
    return PyLong_FromLong(self->backend);
}

static PyObject *searcher_get_difficulty(Searcher *self, void *closure) {
    (void)closure;
    return PyLong_FromLong(self->difficulty);
}

static PyMethodDef searcher_methods[] = {
    {"scan", (PyCFunction)searcher_scan, METH_VARARGS, scan_doc},
    {"digest", (PyCFunction)searcher_digest_py, METH_O, digest_doc},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef searcher_getset[] = {
    {"sha_ni", (getter)searcher_get_sha_ni, NULL, "True when this searcher's single compressions use SHA-NI", NULL},
    {"backend", (getter)searcher_get_backend, NULL,
     "the path it runs: BACKEND_PORTABLE, _SHA_NI, _SHA_NI4, _AVX512 or _AVX2", NULL},
    {"difficulty", (getter)searcher_get_difficulty, NULL, "the difficulty it checks", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyDoc_STRVAR(searcher_doc,
             "Searcher(prefix: bytes, difficulty: int, backend: int = 0)\n\n"
             "Nonce search for sha256(prefix + str(nonce)) < 2**(256 - difficulty).\n"
             "backend: 0 = a fixed default, 1 = portable C, 2 = SHA-NI (two nonces\n"
             "in flight), 3 = AVX-512 (16 nonces per step), 4 = AVX2 (8 per step),\n"
             "5 = SHA-NI (four pipelined chains).");

static PyType_Slot searcher_slots[] = {{Py_tp_init, searcher_init},
                                       {Py_tp_new, PyType_GenericNew},
                                       {Py_tp_methods, searcher_methods},
                                       {Py_tp_getset, searcher_getset},
                                       {Py_tp_doc, (void *)searcher_doc},
                                       {0, NULL}};

static PyType_Spec searcher_spec = {"tutorial_app._fastpow.Searcher", sizeof(Searcher), 0,
                                    Py_TPFLAGS_DEFAULT, searcher_slots};

static PyObject *has_sha_ni_py(PyObject *module, PyObject *unused) {
    (void)module;
    (void)unused;
    return PyBool_FromLong(have_sha_ni);
}

static PyObject *has_avx512_py(PyObject *module, PyObject *unused) {
    (void)module;
    (void)unused;
    return PyBool_FromLong(have_avx512);
}

static PyObject *has_avx2_py(PyObject *module, PyObject *unused) {
    (void)module;
    (void)unused;
    return PyBool_FromLong(have_avx2);
}

static PyMethodDef module_methods[] = {
    {"has_sha_ni", has_sha_ni_py, METH_NOARGS, "True when the CPU has the SHA extensions."},
    {"has_avx512", has_avx512_py, METH_NOARGS, "True when the CPU and OS support AVX-512F."},
    {"has_avx2", has_avx2_py, METH_NOARGS, "True when the CPU and OS support AVX2."},
    {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *module) {
    have_sha_ni = fastpow_cpu_has_sha_ni();
    have_avx512 = fastpow_cpu_has_avx512();
    have_avx2 = fastpow_cpu_has_avx2();
    PyObject *type = PyType_FromSpec(&searcher_spec);
    if (type == NULL) return -1;
    if (PyModule_AddObject(module, "Searcher", type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    if (PyModule_AddIntConstant(module, "BACKEND_AUTO", BACKEND_AUTO) < 0 ||
        PyModule_AddIntConstant(module, "BACKEND_PORTABLE", BACKEND_PORTABLE) < 0 ||
        PyModule_AddIntConstant(module, "BACKEND_SHA_NI", BACKEND_SHA_NI) < 0 ||
        PyModule_AddIntConstant(module, "BACKEND_AVX512", BACKEND_AVX512) < 0 ||
        PyModule_AddIntConstant(module, "BACKEND_AVX2", BACKEND_AVX2) < 0 ||
        PyModule_AddIntConstant(module, "BACKEND_SHA_NI4", BACKEND_SHA_NI4) < 0)
        return -1;
    return 0;
}

static PyModuleDef_Slot module_slots[] = {{Py_mod_exec, module_exec}, {0, NULL}};

static struct PyModuleDef fastpow_module = {
    PyModuleDef_HEAD_INIT, "tutorial_app._fastpow",
    "Native nonce search for tutorial_app.pow (see _fastpow.c).", 0, module_methods,
    module_slots, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fastpow(void) { return PyModuleDef_Init(&fastpow_module); }
