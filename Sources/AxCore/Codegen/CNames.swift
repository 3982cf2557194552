// C names for user names (entries, parameters, size variables): a user name becomes a C identifier as it
// is, unless C, C++, the C library or the generated code reserves it; then it gets the prefix `u_`
// (docs/c-interface.md, "Names"). The same function names the kernel in the libtcc path, the standalone
// file and its header, so `axc run` and `axc compile` agree.

/// Keywords of C (C89 to C23) and C++ (the header is also included from C++).
private let cAndCxxKeywords: Set<String> = [
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
    "bool", "true", "false", "nullptr", "alignas", "alignof", "static_assert", "thread_local", "typeof",
    "typeof_unqual", "constexpr", "asm", "fortran",
    "and", "and_eq", "bitand", "bitor", "catch", "char8_t", "char16_t", "char32_t", "class", "compl", "concept",
    "consteval", "constinit", "const_cast", "co_await", "co_return", "co_yield", "decltype", "delete",
    "dynamic_cast", "explicit", "export", "friend", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
    "operator", "or", "or_eq", "private", "protected", "public", "reinterpret_cast", "requires", "static_cast",
    "template", "this", "throw", "try", "typeid", "typename", "using", "virtual", "xor", "xor_eq",
]

/// The real-valued functions of <math.h>; each also exists with an `f` and an `l` suffix, and with a `c`
/// prefix (<complex.h>) for some: all of those forms are reserved.
private let mathFunctions: [String] = [
    "acos", "asin", "atan", "atan2", "cos", "sin", "tan", "acosh", "asinh", "atanh", "cosh", "sinh", "tanh",
    "exp", "exp2", "expm1", "frexp", "ilogb", "ldexp", "log", "log10", "log1p", "log2", "logb", "modf", "scalbn",
    "scalbln", "cbrt", "fabs", "hypot", "pow", "sqrt", "erf", "erfc", "lgamma", "tgamma", "ceil", "floor",
    "nearbyint", "rint", "lrint", "llrint", "round", "lround", "llround", "trunc", "fmod", "remainder", "remquo",
    "copysign", "nan", "nextafter", "nexttoward", "fdim", "fmax", "fmin", "fma",
    // common extensions (glibc, BSD, macOS)
    "exp10", "pow10", "sincos", "gamma", "drem", "significand", "finite", "j0", "j1", "jn", "y0", "y1", "yn",
    "lgamma_r", "scalb", "cabs", "carg", "cimag", "creal", "conj", "cproj",
]

/// Every other identifier that a C99 standard header or a common POSIX header declares (functions, types,
/// macros, macro-like objects), and the names the generated code itself uses.
private let libraryNames: [String] = [
    // <math.h> macros and types
    "HUGE_VAL", "HUGE_VALF", "HUGE_VALL", "INFINITY", "NAN", "FP_INFINITE", "FP_NAN", "FP_NORMAL", "FP_SUBNORMAL",
    "FP_ZERO", "FP_FAST_FMA", "FP_FAST_FMAF", "FP_FAST_FMAL", "FP_ILOGB0", "FP_ILOGBNAN", "MATH_ERRNO",
    "MATH_ERREXCEPT", "math_errhandling", "fpclassify", "isfinite", "isinf", "isnan", "isnormal", "signbit",
    "isgreater", "isgreaterequal", "isless", "islessequal", "islessgreater", "isunordered", "float_t", "double_t",
    "M_E", "M_LOG2E", "M_LOG10E", "M_LN2", "M_LN10", "M_PI", "M_PI_2", "M_PI_4", "M_1_PI", "M_2_PI",
    "M_2_SQRTPI", "M_SQRT2", "M_SQRT1_2", "I", "complex", "imaginary", "_Complex_I", "_Imaginary_I",
    // <stdint.h>, <stddef.h>, <inttypes.h>, <limits.h>, <float.h>, <stdbool.h>, <stdarg.h>, <iso646.h>
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "int_least8_t",
    "int_least16_t", "int_least32_t", "int_least64_t", "uint_least8_t", "uint_least16_t", "uint_least32_t",
    "uint_least64_t", "int_fast8_t", "int_fast16_t", "int_fast32_t", "int_fast64_t", "uint_fast8_t",
    "uint_fast16_t", "uint_fast32_t", "uint_fast64_t", "intptr_t", "uintptr_t", "intmax_t", "uintmax_t",
    "size_t", "ssize_t", "ptrdiff_t", "wchar_t", "wint_t", "max_align_t", "NULL", "offsetof", "imaxabs", "imaxdiv",
    "imaxdiv_t", "strtoimax", "strtoumax", "wcstoimax", "wcstoumax", "SIZE_MAX", "PTRDIFF_MIN", "PTRDIFF_MAX",
    "SIG_ATOMIC_MIN", "SIG_ATOMIC_MAX", "WCHAR_MIN", "WCHAR_MAX", "WINT_MIN", "WINT_MAX", "INTPTR_MIN",
    "INTPTR_MAX", "UINTPTR_MAX", "INTMAX_MIN", "INTMAX_MAX", "UINTMAX_MAX", "INTMAX_C", "UINTMAX_C",
    "CHAR_BIT", "SCHAR_MIN", "SCHAR_MAX", "UCHAR_MAX", "CHAR_MIN", "CHAR_MAX", "MB_LEN_MAX", "SHRT_MIN",
    "SHRT_MAX", "USHRT_MAX", "INT_MIN", "INT_MAX", "UINT_MAX", "LONG_MIN", "LONG_MAX", "ULONG_MAX", "LLONG_MIN",
    "LLONG_MAX", "ULLONG_MAX", "FLT_MAX", "FLT_MIN", "FLT_EPSILON", "FLT_DIG", "FLT_MANT_DIG", "FLT_RADIX",
    "FLT_ROUNDS", "FLT_EVAL_METHOD", "DBL_MAX", "DBL_MIN", "DBL_EPSILON", "DBL_DIG", "DBL_MANT_DIG", "LDBL_MAX",
    "LDBL_MIN", "LDBL_EPSILON", "DECIMAL_DIG", "__bool_true_false_are_defined", "va_list", "va_start", "va_arg",
    "va_end", "va_copy",
    // <stdlib.h>
    "malloc", "calloc", "realloc", "free", "aligned_alloc", "posix_memalign", "abort", "exit", "atexit",
    "at_quick_exit", "quick_exit", "_Exit", "getenv", "setenv", "unsetenv", "putenv", "system", "atof", "atoi",
    "atol", "atoll", "strtod", "strtof", "strtold", "strtol", "strtoll", "strtoul", "strtoull", "rand", "srand",
    "random", "srandom", "drand48", "bsearch", "qsort", "abs", "labs", "llabs", "div", "ldiv", "lldiv", "div_t",
    "ldiv_t", "lldiv_t", "mblen", "mbtowc", "wctomb", "mbstowcs", "wcstombs", "EXIT_SUCCESS", "EXIT_FAILURE",
    "RAND_MAX", "MB_CUR_MAX", "alloca",
    // <stdio.h>
    "printf", "fprintf", "sprintf", "snprintf", "vprintf", "vfprintf", "vsprintf", "vsnprintf", "dprintf", "scanf",
    "fscanf", "sscanf", "vscanf", "vfscanf", "vsscanf", "puts", "fputs", "putc", "fputc", "putchar", "gets",
    "fgets", "getc", "fgetc", "getchar", "getline", "ungetc", "fopen", "freopen", "fdopen", "fclose", "fflush",
    "fread", "fwrite", "fseek", "ftell", "rewind", "fgetpos", "fsetpos", "clearerr", "feof", "ferror", "perror",
    "remove", "rename", "tmpfile", "tmpnam", "setbuf", "setvbuf", "fileno", "popen", "pclose", "FILE", "fpos_t",
    "EOF", "BUFSIZ", "FILENAME_MAX", "FOPEN_MAX", "L_tmpnam", "SEEK_CUR", "SEEK_END", "SEEK_SET", "TMP_MAX",
    "stdin", "stdout", "stderr", "_IOFBF", "_IOLBF", "_IONBF",
    // <string.h>, <ctype.h>, <wchar.h>
    "memcpy", "memmove", "memset", "memcmp", "memchr", "strcpy", "strncpy", "strcat", "strncat", "strcmp",
    "strncmp", "strcoll", "strxfrm", "strchr", "strrchr", "strspn", "strcspn", "strpbrk", "strstr", "strtok",
    "strlen", "strerror", "strdup", "strndup", "isalnum", "isalpha", "isblank", "iscntrl", "isdigit", "isgraph",
    "islower", "isprint", "ispunct", "isspace", "isupper", "isxdigit", "tolower", "toupper", "wcslen", "wcscpy",
    "wcscmp", "mbstate_t", "WEOF",
    // <errno.h>, <assert.h>, <signal.h>, <setjmp.h>, <time.h>, <locale.h>, <fenv.h>, <unistd.h>, <pthread.h>
    "errno", "EDOM", "EILSEQ", "ERANGE", "assert", "NDEBUG", "signal", "raise", "sig_atomic_t", "SIG_DFL",
    "SIG_ERR", "SIG_IGN", "SIGABRT", "SIGFPE", "SIGILL", "SIGINT", "SIGSEGV", "SIGTERM", "setjmp", "longjmp",
    "jmp_buf", "clock", "time", "difftime", "mktime", "asctime", "ctime", "gmtime", "localtime", "strftime",
    "clock_t", "time_t", "CLOCKS_PER_SEC", "setlocale", "localeconv", "LC_ALL", "LC_COLLATE", "LC_CTYPE",
    "LC_MONETARY", "LC_NUMERIC", "LC_TIME", "fenv_t", "fexcept_t", "feclearexcept", "fegetround", "fesetround",
    "FE_DIVBYZERO", "FE_INEXACT", "FE_INVALID", "FE_OVERFLOW", "FE_UNDERFLOW", "FE_ALL_EXCEPT", "FE_TONEAREST",
    "FE_UPWARD", "FE_DOWNWARD", "FE_TOWARDZERO", "read", "write", "open", "close", "sleep", "fork", "pid_t",
    "off_t", "pthread_t",
    // the generated code's own names (besides the ax_ prefix and the suffixes in `cName`)
    "main", "scratch",
]

/// Names reserved in any C name (as parameters, sizes and entries).
private let reservedCNames: Set<String> = {
    var s = cAndCxxKeywords.union(libraryNames)
    for f in mathFunctions { s.formUnion([f, f + "f", f + "l", "c" + f, "c" + f + "f", "c" + f + "l"]) }
    return s
}()

/// Whether `r` ends like a name the generated code derives from a kernel's name (NAME_scratch_bytes,
/// NAME_packed, NAME_scratch_packed, NAME_loopK), so that it could be another entry's.
private func isDerivedCName(_ r: String) -> Bool {
    if r.hasSuffix("_scratch_bytes") || r.hasSuffix("_packed") { return true }
    if let range = r.range(of: "_loop", options: .backwards), range.upperBound < r.endIndex,
       r[range.upperBound...].allSatisfy({ $0.isASCII && $0.isNumber }) { return true }
    return false
}

/// Whether `r` (already an identifier) may not be used as it is in the generated C.
/// `external`: it names an exported function, so C99's future library directions (§7.26: `is`, `to`, `str`,
/// `mem`, `wcs` followed by a lowercase letter) are reserved too.
private func isReservedCName(_ r: String, external: Bool) -> Bool {
    if reservedCNames.contains(r) || r.hasPrefix("_") { return true }
    let lower = r.lowercased()
    if lower.hasPrefix("ax_") || lower.hasPrefix("axc_") { return true }
    if external {
        for p in ["is", "to", "str", "mem", "wcs"] where r.hasPrefix(p) {
            let next = r.dropFirst(p.count).first
            if let c = next, c.isASCII, c.isLowercase { return true }
        }
    }
    return false
}

/// A C identifier for the user name `s` (a parameter leaf such as `params.0`, a size variable, or with
/// `external` an entry): characters that are not letters, digits or `_` become `_`; a name that C, C++, the
/// C library or the generated code reserves gets the prefix `u_` (`u` when it starts with `_`); a name that
/// ends like a derived name (`_scratch_bytes`, `_packed`, `_loop3`) or is in `taken` gets trailing `_`s.
func cIdentifier(_ s: String, taken: Set<String>, external: Bool = false) -> String {
    var r = String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
    if r.isEmpty || r.first!.isNumber { r = "_" + r }
    if isReservedCName(r, external: external) { r = (r.hasPrefix("_") ? "u" : "u_") + r }
    while isDerivedCName(r) || taken.contains(r) { r += "_" }
    return r
}

/// The C name of the entry `name` (its kernel function; `NAME_scratch_bytes` is derived from it).
public func cEntryName(_ name: String, taken: Set<String> = []) -> String {
    cIdentifier(name, taken: taken, external: true)
}
